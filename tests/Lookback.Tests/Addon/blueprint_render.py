"""Renders Lookback's blueprints the way Home Assistant does, with Jinja2 (tests only).

What is emulated from Home Assistant (homeassistant/helpers/template.py, script.py, components/mqtt/trigger.py):
- `!input name` takes the caller's value or the input's default;
- `variables:` are rendered in order, each result parsed into a native type (literal_eval; dicts and lists
  keep their rendered text as str(), like HA's ResultWrapper, so a `to_json` variable re-renders as JSON);
- an MQTT trigger fires when its rendered value_template equals its rendered payload;
- `wait` is {"trigger": {...payload_json...}} when the wait fired, {"trigger": None} on timeout.
Filters HA adds that the blueprints use: to_json. Globals: now() (fixed; the inputs key "_run" moves it on by that many seconds).

Usage: python3 blueprint_render.py doorbell-command|doorbell-notify|motion-notify BLUEPRINT INPUTS_JSON [PAYLOAD_JSON|null]
       python3 blueprint_render.py mqtt-template TEMPLATE PAYLOAD
Prints one JSON object.
"""
import ast
import datetime
import json
import re
import sys

import jinja2
import jinja2.sandbox
import yaml


class Input:
    def __init__(self, name):
        self.name = name


class Loader(yaml.SafeLoader):
    pass


Loader.add_constructor("!input", lambda loader, node: Input(loader.construct_scalar(node)))


def result_wrapper(base):
    """HA's ResultWrapper: the parsed value, whose str() is the text it was rendered from."""
    class Wrapped(base):
        def __init__(self, value, text):
            super().__init__(value)
            self._text = text

        def __str__(self):
            return self._text
    return Wrapped


DictResult, ListResult = result_wrapper(dict), result_wrapper(list)


NUMERIC = re.compile(r"^(-?(?:(?:[1-9]\d*)|0)(?:\.\d*)?)$")
FIXED_NOW = datetime.datetime(2026, 12, 2, 18, 0, 0, 123456, tzinfo=datetime.timezone.utc)

env = jinja2.sandbox.ImmutableSandboxedEnvironment(undefined=jinja2.Undefined, extensions=["jinja2.ext.loopcontrols", "jinja2.ext.do"])
env.filters["to_json"] = lambda v: json.dumps(v)
NOW = [FIXED_NOW]
env.globals["now"] = lambda: NOW[0]


def parse(text):
    """HA's Template._parse_result."""
    text = text.strip()
    try:
        result = ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return text
    if isinstance(result, dict):
        return DictResult(result, text)
    if isinstance(result, list):
        return ListResult(result, text)
    if isinstance(result, (str, complex)):
        return text
    if isinstance(result, (int, float)) and not isinstance(result, bool) and NUMERIC.match(text) is None:
        return text
    return result


def walk(node, leaf):
    """Applies leaf to every scalar of a YAML tree (dicts and lists rebuilt)."""
    if isinstance(node, dict):
        return {k: walk(v, leaf) for k, v in node.items()}
    if isinstance(node, list):
        return [walk(v, leaf) for v in node]
    return leaf(node)


def render(value, ctx):
    return walk(value, lambda v: parse(env.from_string(v).render(**ctx)) if isinstance(v, str) else v)


def resolve(node, inputs):
    return walk(node, lambda v: inputs[v.name] if isinstance(v, Input) else v)


def load(path, given):
    with open(path, encoding="utf-8") as f:
        doc = yaml.load(f, Loader=Loader)
    inputs = {}
    for name, spec in doc["blueprint"]["input"].items():
        if name in given:
            inputs[name] = given[name]
        elif "default" in spec:
            inputs[name] = spec["default"]
        else:
            inputs[name] = None
    return doc, resolve({k: v for k, v in doc.items() if k != "blueprint"}, inputs)


def variables(block, ctx):
    for name, tpl in (block or {}).items():
        ctx[name] = render(tpl, ctx)
    return ctx


def mqtt_fires(trigger, ctx, payload):
    """components/mqtt/trigger.py: value_template over the message, compared with the rendered payload."""
    if payload is None:
        return False
    want = str(render(trigger["payload"], ctx))
    got = env.from_string(trigger["value_template"]).render(**ctx, value=json.dumps(payload), value_json=payload)
    return got.strip() == want


def notify_of(actions):
    n = [a for a in actions if a.get("domain") == "mobile_app" and a.get("type") == "notify"]
    assert len(n) == 1, "expected exactly one notification in the run, got %d" % len(n)
    return n[0]


def doorbell(doc, given, result):
    ctx = variables(doc["variables"], {"trigger": {"platform": "mqtt"}, "this": {}})
    parallel = doc["actions"][0]["parallel"]
    wait_branch, publish_branch = parallel[0]["sequence"], parallel[1]["sequence"]
    wait = wait_branch[0]
    publish = publish_branch[0]
    out = {
        "mode": doc.get("mode"),
        "wait_first": "wait_for_trigger" in wait and publish.get("action") == "mqtt.publish",
        "continue_on_timeout": wait.get("continue_on_timeout"),
        "wait_topic": render(wait["wait_for_trigger"][0]["topic"], ctx),
        "request_id": ctx["request_id"],
        "topic": render(publish["data"]["topic"], ctx),
        "payload": str(render(publish["data"]["payload"], ctx)),
        "notifications": len([a for a in wait_branch if a.get("domain") == "mobile_app"]),
    }
    fired = mqtt_fires(wait["wait_for_trigger"][0], ctx, result)
    ctx["wait"] = {"trigger": {"payload_json": result, "topic": out["wait_topic"]} if fired else None,
                   "remaining": 1 if fired else 0}
    variables(wait_branch[1]["variables"], ctx)
    n = notify_of(wait_branch)
    out.update(fired=fired, message=str(render(n["message"], ctx)), data=render(n["data"], ctx),
               title=render(n["title"], ctx))
    return out


def motion(doc, given, event):
    ctx = variables(doc.get("trigger_variables"), {})
    trig = doc["triggers"][0]
    out = {"topic": render(trig["topic"], ctx), "fired": mqtt_fires(trig, ctx, event), "mode": doc.get("mode")}
    if not out["fired"]:
        return out
    ctx["trigger"] = {"payload_json": event, "topic": out["topic"]}
    variables(doc["variables"], ctx)
    out["condition"] = all(render(c["value_template"], ctx) is True for c in doc.get("conditions", []))
    n = notify_of(doc["actions"])
    out.update(message=str(render(n["message"], ctx)), data=render(n["data"], ctx))
    return out


def main():
    if sys.argv[1] == "mqtt-template":
        # A discovery value_template over one MQTT payload, as MqttValueTemplate renders it (value, value_json).
        payload = sys.argv[3]
        print(json.dumps({"rendered": env.from_string(sys.argv[2]).render(value=payload, value_json=json.loads(payload)).strip()}))
        return
    cmd, path, given = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    # "_run": which run of the automation (a later ring renders a later now(), so another request id).
    NOW[0] = FIXED_NOW + datetime.timedelta(seconds=given.pop("_run", 0))
    payload = json.loads(sys.argv[4]) if len(sys.argv) > 4 else None
    doc, resolved = load(path, given)
    result = doorbell(resolved, given, payload) if cmd.startswith("doorbell") else motion(resolved, given, payload)
    print(json.dumps(result, default=str))


if __name__ == "__main__":
    main()
