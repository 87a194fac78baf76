namespace Lookback.Media.Rendering.Mp4;

/// <summary>Thrown when the packets cannot be muxed in-process (the caller falls back to ffmpeg).</summary>
public sealed class Mp4MuxException(string message) : Exception(message);

/// <summary>Reads the bits of an RBSP (emulation-prevention bytes already removed): fixed-width fields and Exp-Golomb codes.</summary>
public ref struct RbspReader(ReadOnlySpan<byte> data)
{
    private readonly ReadOnlySpan<byte> _data = data;
    private int _bit;

    public uint Bits(int n)
    {
        uint v = 0;
        for (var i = 0; i < n; i++)
        {
            if (_bit >> 3 >= _data.Length) throw new Mp4MuxException("parameter set ends early");
            v = (v << 1) | (uint)((_data[_bit >> 3] >> (7 - (_bit & 7))) & 1);
            _bit++;
        }
        return v;
    }

    public bool Flag() => Bits(1) == 1;

    public uint Ue()
    {
        var zeros = 0;
        while (Bits(1) == 0) if (++zeros > 31) throw new Mp4MuxException("bad Exp-Golomb code in a parameter set");
        return zeros == 0 ? 0 : (1u << zeros) - 1 + Bits(zeros);
    }

    public int Se()
    {
        var k = Ue();
        return (k & 1) == 1 ? (int)((k + 1) / 2) : -(int)(k / 2);
    }

    public void Skip(int n) { for (var i = 0; i < n; i++) Bits(1); }
}

/// <summary>What a sample entry needs from a sequence parameter set.</summary>
public sealed record SpsInfo(int Width, int Height, int ChromaFormat, int BitDepthLuma, int BitDepthChroma);

/// <summary>
/// Pure parsing of H.264/H.265 parameter sets and AAC ADTS headers for the in-process MP4 muxer: picture size, the
/// fields of the <c>avcC</c>/<c>hvcC</c> boxes, the AudioSpecificConfig.
/// </summary>
public static class NalParameters
{
    /// <summary>The RBSP of a NAL unit (its header bytes skipped, emulation-prevention 0x03 bytes removed).</summary>
    public static byte[] Rbsp(ReadOnlySpan<byte> nal, int headerBytes)
    {
        var o = new List<byte>(nal.Length);
        var zeros = 0;
        for (var i = headerBytes; i < nal.Length; i++)
        {
            var b = nal[i];
            if (zeros >= 2 && b == 3) { zeros = 0; continue; }
            zeros = b == 0 ? zeros + 1 : 0;
            o.Add(b);
        }
        return [.. o];
    }

    /// <summary>Size (cropped), chroma format and bit depths of an H.264 SPS NAL unit (with its 1-byte header).</summary>
    public static SpsInfo H264Sps(ReadOnlySpan<byte> nal)
    {
        var r = new RbspReader(Rbsp(nal, 1));
        var profile = r.Bits(8);
        r.Skip(16); // constraint flags, level
        r.Ue(); // seq_parameter_set_id
        int chroma = 1, depthY = 8, depthC = 8;
        if (profile is 100 or 110 or 122 or 244 or 44 or 83 or 86 or 118 or 128 or 138 or 139 or 134 or 135)
        {
            chroma = (int)r.Ue();
            if (chroma == 3) r.Skip(1); // separate_colour_plane_flag
            depthY = (int)r.Ue() + 8;
            depthC = (int)r.Ue() + 8;
            r.Skip(1); // qpprime_y_zero_transform_bypass_flag
            if (r.Flag())
                for (var i = 0; i < (chroma == 3 ? 12 : 8); i++)
                    if (r.Flag()) SkipScalingList(ref r, i < 6 ? 16 : 64);
        }
        r.Ue(); // log2_max_frame_num_minus4
        var pocType = r.Ue();
        if (pocType == 0) r.Ue();
        else if (pocType == 1)
        {
            r.Skip(1);
            r.Se();
            r.Se();
            var n = r.Ue();
            for (var i = 0; i < n; i++) r.Se();
        }
        r.Ue(); // max_num_ref_frames
        r.Skip(1); // gaps_in_frame_num_value_allowed_flag
        var wMbs = (int)r.Ue() + 1;
        var hMaps = (int)r.Ue() + 1;
        var frameMbsOnly = r.Flag() ? 1 : 0;
        if (frameMbsOnly == 0) r.Skip(1);
        r.Skip(1); // direct_8x8_inference_flag
        int cl = 0, cr = 0, ct = 0, cb = 0;
        if (r.Flag()) { cl = (int)r.Ue(); cr = (int)r.Ue(); ct = (int)r.Ue(); cb = (int)r.Ue(); }
        var unitX = chroma is 1 or 2 ? 2 : 1;
        var unitY = (chroma == 1 ? 2 : 1) * (2 - frameMbsOnly);
        if (chroma == 0) { unitX = 1; unitY = 2 - frameMbsOnly; }
        var w = wMbs * 16 - unitX * (cl + cr);
        var h = (2 - frameMbsOnly) * hMaps * 16 - unitY * (ct + cb);
        if (w <= 0 || h <= 0) throw new Mp4MuxException("the H.264 SPS gives no picture size");
        return new SpsInfo(w, h, chroma, depthY, depthC);
    }

    private static void SkipScalingList(ref RbspReader r, int size)
    {
        int last = 8, next = 8;
        for (var j = 0; j < size; j++)
        {
            if (next != 0) next = (last + r.Se() + 256) % 256;
            last = next == 0 ? last : next;
        }
    }

    /// <summary>Size (conformance window applied), chroma format and bit depths of an H.265 SPS NAL unit (2-byte header),
    /// and its general profile_tier_level bytes (12: profile space/tier/idc, compatibility flags, constraint flags, level).</summary>
    public static (SpsInfo Info, byte[] GeneralPtl, int SubLayers, bool TemporalIdNesting) H265Sps(ReadOnlySpan<byte> nal)
    {
        var rbsp = Rbsp(nal, 2);
        var r = new RbspReader(rbsp);
        r.Skip(4); // sps_video_parameter_set_id
        var maxSubLayersMinus1 = (int)r.Bits(3);
        var nesting = r.Flag();
        if (rbsp.Length < 13) throw new Mp4MuxException("the H.265 SPS ends early");
        var ptl = rbsp.AsSpan(1, 12).ToArray();
        r.Skip(96);
        var profilePresent = new bool[8];
        var levelPresent = new bool[8];
        for (var i = 0; i < maxSubLayersMinus1; i++) { profilePresent[i] = r.Flag(); levelPresent[i] = r.Flag(); }
        if (maxSubLayersMinus1 > 0) for (var i = maxSubLayersMinus1; i < 8; i++) r.Skip(2);
        for (var i = 0; i < maxSubLayersMinus1; i++)
        {
            if (profilePresent[i]) r.Skip(88);
            if (levelPresent[i]) r.Skip(8);
        }
        r.Ue(); // sps_seq_parameter_set_id
        var chroma = (int)r.Ue();
        if (chroma == 3) r.Skip(1);
        var w = (int)r.Ue();
        var h = (int)r.Ue();
        if (r.Flag())
        {
            var subW = chroma is 1 or 2 ? 2 : 1;
            var subH = chroma == 1 ? 2 : 1;
            var l = (int)r.Ue(); var rt = (int)r.Ue(); var t = (int)r.Ue(); var b = (int)r.Ue();
            w -= subW * (l + rt);
            h -= subH * (t + b);
        }
        var depthY = (int)r.Ue() + 8;
        var depthC = (int)r.Ue() + 8;
        if (w <= 0 || h <= 0) throw new Mp4MuxException("the H.265 SPS gives no picture size");
        return (new SpsInfo(w, h, chroma, depthY, depthC), ptl, maxSubLayersMinus1 + 1, nesting);
    }

    /// <summary>The <c>avcC</c> payload (AVCDecoderConfigurationRecord, 4-byte NAL lengths).</summary>
    public static byte[] AvcC(byte[] sps, byte[] pps, SpsInfo info)
    {
        var o = new List<byte> { 1, sps[1], sps[2], sps[3], 0xFF, 0xE1 };
        Add16(o, sps.Length); o.AddRange(sps);
        o.Add(1);
        Add16(o, pps.Length); o.AddRange(pps);
        if (sps[1] is 100 or 110 or 122 or 144)
        {
            o.Add((byte)(0xFC | info.ChromaFormat));
            o.Add((byte)(0xF8 | (info.BitDepthLuma - 8)));
            o.Add((byte)(0xF8 | (info.BitDepthChroma - 8)));
            o.Add(0);
        }
        return [.. o];
    }

    /// <summary>The <c>hvcC</c> payload (HEVCDecoderConfigurationRecord, 4-byte NAL lengths) with VPS, SPS and PPS arrays.</summary>
    public static byte[] HvcC(byte[] vps, byte[] sps, byte[] pps)
    {
        var (info, ptl, subLayers, nesting) = H265Sps(sps);
        var o = new List<byte> { 1 };
        o.AddRange(ptl);
        o.AddRange([0xF0, 0x00, 0xFC, (byte)(0xFC | info.ChromaFormat), (byte)(0xF8 | (info.BitDepthLuma - 8)),
            (byte)(0xF8 | (info.BitDepthChroma - 8)), 0, 0]);
        o.Add((byte)((subLayers & 7) << 3 | (nesting ? 4 : 0) | 3));
        o.Add(3);
        foreach (var (type, nal) in new[] { (32, vps), (33, sps), (34, pps) })
        {
            o.Add((byte)(0x80 | type));
            Add16(o, 1);
            Add16(o, nal.Length);
            o.AddRange(nal);
        }
        return [.. o];
    }

    private static void Add16(List<byte> o, int v) { o.Add((byte)(v >> 8)); o.Add((byte)v); }

    /// <summary>The sampling rates of ADTS <c>sampling_frequency_index</c>.</summary>
    public static readonly int[] AacRates = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350];

    /// <summary>An ADTS header: its length, the raw frame's length, the AudioSpecificConfig, sampling rate and channels.</summary>
    public static (int HeaderBytes, int FrameBytes, byte[] Config, int Rate, int Channels) Adts(ReadOnlySpan<byte> d)
    {
        if (d.Length < 7 || d[0] != 0xFF || (d[1] & 0xF6) != 0xF0) throw new Mp4MuxException("audio is not AAC in ADTS");
        var header = (d[1] & 1) == 1 ? 7 : 9; // protection_absent
        var profile = (d[2] >> 6) & 3;
        var sfi = (d[2] >> 2) & 0xF;
        var channels = ((d[2] & 1) << 2) | (d[3] >> 6);
        var length = ((d[3] & 3) << 11) | (d[4] << 3) | (d[5] >> 5);
        if (sfi >= AacRates.Length || length < header) throw new Mp4MuxException("bad ADTS header");
        var objectType = profile + 1;
        var config = new[] { (byte)((objectType << 3) | (sfi >> 1)), (byte)(((sfi & 1) << 7) | (channels << 3)) };
        return (header, length, config, AacRates[sfi], channels);
    }
}
