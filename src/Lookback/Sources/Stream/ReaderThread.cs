using System.Net.Sockets;

namespace Lookback.Sources.Streaming;

/// <summary>
/// Runs a per-run socket reader (the camera's packet and gray-frame connections from ffmpeg) on a thread of its own
/// with blocking reads. Measured on the stream cost bench (issue 18): with async reads every chunk ffmpeg writes wakes
/// the socket engine's thread, queues a work item and wakes a thread-pool worker that spins before sleeping again —
/// 25–50 times a second per camera that was about a third of the .NET side's CPU. A blocking read wakes just this
/// thread. Cancellation shuts the socket down, which ends a blocked read at once.
/// </summary>
public static class ReaderThread
{
    /// <summary>Starts <paramref name="body"/> on a background thread named <paramref name="name"/>; the task ends with it
    /// (faulted with its exception). <paramref name="ct"/> shuts <paramref name="socket"/> down (reads return 0 or throw).</summary>
    public static Task Run(string name, Socket socket, CancellationToken ct, Action body)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            using var reg = ct.Register(() =>
            {
                try { socket.Shutdown(SocketShutdown.Both); } catch (Exception ex) when (ex is SocketException or ObjectDisposedException) { }
            });
            try
            {
                body();
                if (ct.IsCancellationRequested) done.TrySetCanceled(ct);
                else done.TrySetResult();
            }
            catch (Exception ex) when (ct.IsCancellationRequested && ex is SocketException or IOException or ObjectDisposedException)
            {
                done.TrySetCanceled(ct);
            }
            catch (Exception ex)
            {
                done.TrySetException(ex);
            }
        })
        { IsBackground = true, Name = name };
        thread.Start();
        return done.Task;
    }
}
