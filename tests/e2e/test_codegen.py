"""A generated client compiles against the served schema: graphql-codegen (typescript, typescript-operations)
reads the introspection of a running server's /graphql, types the operations of tests/e2e/codegen/, and
``tsc --strict`` compiles the types with a file that uses them (web/node_modules, built by `make web`)."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from graphql import FragmentDefinitionNode, FragmentSpreadNode, Node, OperationDefinitionNode, parse, print_ast
from live_server import live_server, live_settings
from secantus import SecantusDBServer

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "web"
BIN = WEB / "node_modules" / ".bin"
CODEGEN_DIR = Path(__file__).with_name("codegen")
OPERATIONS = CODEGEN_DIR / "operations.graphql"
# Custom scalars as they travel in JSON (docs/api.md): ISO dates and times and decimals as strings.
SCALARS = {"Date": "string", "DateTime": "string", "Decimal": "string", "JSON": "unknown"}


@pytest.fixture(scope="module")
def base(db_server: SecantusDBServer) -> Iterator[str]:
    with live_server(live_settings(db_server)) as url:
        yield url


def _run(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=300,
                          check=False)


def _generate(base: str, out: Path) -> None:
    """graphql-codegen on the served introspection; fails the test on any error.

    ``schema.ts`` holds every type of the schema (the typescript plugin), ``operations.ts`` the operations'
    results and variables with the enums and inputs they use (typescript-operations 6 emits those itself, so the
    two plugins write separate files).
    """
    assert (BIN / "graphql-codegen").exists(), f"{BIN} has no graphql-codegen: run `make web`"
    config = {"strictScalars": True, "scalars": SCALARS, "enumsAsTypes": True}
    codegen = {
        "overwrite": True,
        "schema": f"{base}/graphql",
        "documents": [str(OPERATIONS)],
        "generates": {
            str(out / "schema.ts"): {"plugins": ["typescript"], "config": config},
            str(out / "operations.ts"): {"plugins": ["typescript-operations"], "config": config},
        },
    }
    (out / "codegen.json").write_text(json.dumps(codegen, indent=2), encoding="utf-8")
    # Run from web/: the CLI resolves its plugins from the working directory's node_modules.
    done = _run(BIN / "graphql-codegen", "--config", out / "codegen.json", cwd=WEB)
    assert done.returncode == 0, f"graphql-codegen failed:\n{done.stdout}\n{done.stderr}"


def test_generated_client_compiles_against_the_served_schema(base: str, tmp_path: Path) -> None:
    _generate(base, tmp_path)
    source = (tmp_path / "operations.ts").read_text(encoding="utf-8")
    assert "export type Enterprise = " in (tmp_path / "schema.ts").read_text(encoding="utf-8")
    for name in ("MyTasksQuery", "PublicPlansQuery", "PlanAndDrawQuery", "CreatePlanMutation", "DrawPlanMutation"):
        assert f"export type {name} =" in source, name
    shutil.copy(CODEGEN_DIR / "usage.ts", tmp_path / "usage.ts")
    done = _run(BIN / "tsc", "--noEmit", "--strict", "--target", "es2022", "--module", "esnext",
                "--moduleResolution", "bundler", "schema.ts", "operations.ts", "usage.ts", cwd=tmp_path)
    assert done.returncode == 0, f"tsc failed:\n{done.stdout}\n{done.stderr}"


def test_compile_fails_on_a_field_the_schema_does_not_have(base: str, tmp_path: Path) -> None:
    """The check can fail: an operation asking for a field the schema lacks stops codegen."""
    broken = tmp_path / "ops"
    broken.mkdir()
    (broken / "operations.graphql").write_text("query Broken { myTasks(first: 1) { taskId noSuchField } }",
                                               encoding="utf-8")
    config = {"schema": f"{base}/graphql", "documents": [str(broken / "operations.graphql")],
              "generates": {str(tmp_path / "generated.ts"): {"plugins": ["typescript", "typescript-operations"]}}}
    (tmp_path / "codegen.json").write_text(json.dumps(config), encoding="utf-8")
    done = _run(BIN / "graphql-codegen", "--config", tmp_path / "codegen.json", cwd=WEB)
    assert done.returncode != 0
    assert "noSuchField" in done.stdout + done.stderr


def _operation(name: str) -> str:
    """One operation of the file with the fragments it spreads, as a client sends it (Apollo and graphql-request
    send one operation per request; the server measures the size of every operation in a document)."""
    document = parse(OPERATIONS.read_text(encoding="utf-8"))
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    operation = next(d for d in document.definitions
                     if isinstance(d, OperationDefinitionNode) and d.name and d.name.value == name)
    used: dict[str, FragmentDefinitionNode] = {}
    pending: list[Node] = [operation]
    while pending:
        node = pending.pop()
        if isinstance(node, FragmentSpreadNode) and node.name.value not in used:
            used[node.name.value] = fragments[node.name.value]
            pending.append(fragments[node.name.value])
        for key in node.keys:
            child = getattr(node, key, None)
            pending += [c for c in (child if isinstance(child, tuple | list) else [child]) if isinstance(c, Node)]
    return "\n\n".join(print_ast(d) for d in [operation, *used.values()])


def test_the_public_operation_runs_without_login(base: str) -> None:
    """The login-less operation the client was generated for is answered for an anonymous caller."""
    answer = httpx.post(f"{base}/graphql", json={"query": _operation("PublicPlans"), "operationName": "PublicPlans",
                                                 "variables": {"planId": "no-such-plan"}}, timeout=30)
    payload = answer.json()
    assert answer.status_code == 200, payload
    assert "errors" not in payload, payload
    assert payload["data"]["publishedDraw"] is None
    assert payload["data"]["publishedResults"] == []
    assert isinstance(payload["data"]["publishedPlans"], list)
