"""The `stillhere` command: Django's management commands under our own name.

`stillhere migrate`, `stillhere simulate`, `stillhere demo` and every other
verb run with the same settings, so DATABASE_URL and STILLHERE_DATA_DIR are
honoured everywhere.
"""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    argv[0] = "stillhere"
    # Everything the command writes (database, backups, exports, reports,
    # snapshots, uploads) is its owner's only. See stillhere/lib/private.py.
    from stillhere.lib.private import OWNER_ONLY_UMASK

    os.umask(OWNER_ONLY_UMASK)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stillhere.settings")
    if len(argv) > 1 and argv[1] == "demo" and "--help" not in argv and "-h" not in argv:
        # The demo always gets its own fresh SQLite file, whatever DATABASE_URL
        # says, so trying the product can never touch a real practice's data.
        from stillhere.simulator.demo_db import use_fresh_demo_database

        use_fresh_demo_database()
    if argv[1:] in ([], ["--help"], ["-h"], ["help"]):
        print(overview())
        return
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(argv)
    except KeyboardInterrupt:
        # Ctrl-C is how people stop a command: no traceback, the shell's
        # usual status for an interrupted program.
        print("\nstopped.", file=sys.stderr)
        sys.exit(130)
    except Exception as e:  # a defect: say where, never what data it was holding
        from stillhere.lib.redact import safe_traceback

        print(f"stillhere {argv[1] if len(argv) > 1 else ''} stopped with an internal error.", file=sys.stderr)
        print(safe_traceback(e), file=sys.stderr, end="")
        sys.exit(1)


def overview() -> str:
    """`stillhere --help`: our own verbs first, each with its one-line purpose.

    Each verb's help is read from its source rather than by importing it: the
    scan, the demo and the de-identifier pull in Ibis, pandas and spaCy, and
    importing them all cost seconds before a line was printed. Nor is Django
    set up (which imports every app, django-ninja and pydantic among them):
    the verbs are found in the installed apps' folders (`verbs()`).
    """
    ours, theirs = [], []
    for name, app in sorted(verbs().items()):
        if app.startswith("stillhere."):
            text = command_help(app, name).split(". ")[0].rstrip(".")
            ours.append(f"  {name:<14} {text}")
        else:
            theirs.append(name)
    return "\n".join([
        "usage: stillhere VERB [options]     (stillhere VERB --help for a verb's options)",
        "",
        "stillhere verbs:",
        *ours,
        "",
        "Django verbs: " + ", ".join(theirs),
        "",
        "Every verb honours DATABASE_URL and STILLHERE_DATA_DIR.",
    ])


def verbs() -> dict[str, str]:
    """Every verb and the app it comes from, as Django's `get_commands()`
    gives them, without setting Django up.

    Django looks in each installed app's `management/commands` folder, later
    apps first so an earlier one wins; this does the same from the settings'
    INSTALLED_APPS, finding each app's folder without importing the app. An
    entry that names an app config class rather than a package is only known
    once Django is set up, so then it falls back to that.
    """
    import importlib
    import pkgutil

    def found(folder: str) -> list[str]:
        return [n for _, n, is_pkg in pkgutil.iter_modules([os.path.join(folder, "management", "commands")])
                if not is_pkg and not n.startswith("_")]

    commands = {name: "django.core" for name in found(_package_folder("django.core"))}
    settings = importlib.import_module(os.environ["DJANGO_SETTINGS_MODULE"])
    folders = []
    for entry in settings.INSTALLED_APPS:
        folder = _package_folder(entry)
        if folder is None:
            return _verbs_from_django()
        folders.append((entry, folder))
    for entry, folder in reversed(folders):
        commands.update({name: entry for name in found(folder)})
    return commands


def _package_folder(dotted: str) -> str | None:
    """The folder of package `dotted`, found without importing it or its
    parents (`importlib.util.find_spec` would import the parents, and
    django_otp's first lines import half of Django). None if it is not a
    package."""
    import importlib.util
    from importlib.machinery import PathFinder

    top, *rest = dotted.split(".")
    spec = importlib.util.find_spec(top)  # a top-level name: nothing imported (an editable install's finder too)
    for part in rest:
        if spec is None or not spec.submodule_search_locations:
            return None
        spec = PathFinder.find_spec(f"{spec.name}.{part}", list(spec.submodule_search_locations))
    if spec is None or not spec.submodule_search_locations:
        return None
    return list(spec.submodule_search_locations)[0]


def _verbs_from_django() -> dict[str, str]:
    import django
    from django.core.management import get_commands

    django.setup()
    return get_commands()


def command_help(app: str, name: str) -> str:
    """The `help` string of a command class, found in its module's source."""
    import ast
    import importlib.util

    spec = importlib.util.find_spec(f"{app}.management.commands.{name}")
    tree = ast.parse(open(spec.origin, encoding="utf-8").read())
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and node.name == "Command":
            for stmt in node.body:
                if (isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Constant)
                        and any(getattr(t, "id", None) == "help" for t in stmt.targets)):
                    return str(stmt.value.value)
    from django.core.management import load_command_class

    return load_command_class(app, name).help


if __name__ == "__main__":
    main()
