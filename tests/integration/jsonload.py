"""Shared by the check_*.py scripts: reading a JSON object, testing a number."""
import json


def num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def load_object(path, what, fails):
    """The JSON object in path, or None with "WHAT PATH: why" added to fails."""
    try:
        with open(path) as f:
            r = json.load(f)
    except (OSError, ValueError) as e:
        fails.append("%s %s: %s" % (what, path, e))
        return None
    if not isinstance(r, dict):
        fails.append("%s %s is not a JSON object" % (what, path))
        return None
    return r
