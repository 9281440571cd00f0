"""The issue's walk-through, as a new user would do it, end to end.

Import an opencode config and a LiteLLM config that describe the same
endpoint (each with the key pasted in it), see one instance with both models,
export it to crush, and run a stand-in for crush that reads the crush file,
expands `$(...)` through a shell as crush does, and calls the endpoint with
the key it got from `provreg secret get`. The endpoint is a real loopback
HTTP server that behaves as an OpenAI-compatible `/v1/models` does: 401
without the right bearer key.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from helpers.cli import canary_value, cli_env, run_cli
from helpers.files import state_dir, tree
from helpers.keyrings import SECRET_SERVICE_BACKEND
from helpers.secret_service import SecretServiceDaemon

from provreg.config.read.load_set import load_paths
from provreg.model import ModelSpec

CRUSH_STAND_IN = r'''
"""Reads crush.json as crush does: every api_key goes through shell expansion."""
import json, subprocess, sys, urllib.request

config = json.load(open(sys.argv[1]))
for provider_id, provider in config["providers"].items():
    key = subprocess.run(
        ["sh", "-c", 'printf %s "' + provider["api_key"] + '"'],
        capture_output=True, text=True, check=True,
    ).stdout
    request = urllib.request.Request(
        provider["base_url"].rstrip("/") + "/models",
        headers={"Authorization": "Bearer " + key},
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        served = [model["id"] for model in json.load(answer)["data"]]
    offered = [model["id"] for model in provider["models"]]
    print(provider_id, "ok", ",".join(offered), "served:", ",".join(served))
'''


class FakeEndpoint(ThreadingHTTPServer):
    key = ""
    seen: list[str]


class ModelsHandler(BaseHTTPRequestHandler):
    server: FakeEndpoint

    def do_GET(self) -> None:  # noqa: N802 - the http.server name
        given = self.headers.get("Authorization", "")
        self.server.seen.append(self.path)
        if self.path != "/v1/models" or given != f"Bearer {self.server.key}":
            self.send_response(401)
            self.end_headers()
            self.wfile.write(b'{"error": {"message": "invalid api key"}}')
            return
        body = {"object": "list", "data": [{"id": "llama-3.3-70b"}, {"id": "qwen-2.5-coder"}]}
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def endpoint() -> Iterator[FakeEndpoint]:
    server = FakeEndpoint(("127.0.0.1", 0), ModelsHandler)
    server.key = canary_value()
    server.seen = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def test_two_tools_one_endpoint_one_instance_then_crush_uses_it(
    secret_service: SecretServiceDaemon, endpoint: FakeEndpoint, tmp_path: Path
) -> None:
    key = endpoint.key
    base_url = f"http://127.0.0.1:{endpoint.server_address[1]}/v1"
    config = tmp_path / "provreg"
    config.mkdir()
    opencode = tmp_path / "opencode.json"
    opencode.write_text(
        "{\n"
        '  "$schema": "https://opencode.ai/config.json",\n'
        "  // the GPU box, as I first set it up for opencode\n"
        '  "provider": {\n'
        '    "gpu-box": {\n'
        '      "npm": "@ai-sdk/openai-compatible",\n'
        '      "name": "GPU box",\n'
        f'      "options": {{"baseURL": "{base_url}", "apiKey": "{key}"}},\n'
        '      "models": {"llama-3.3-70b": {"limit": {"context": 131072, "output": 8192}}}\n'
        "    }\n"
        "  }\n"
        "}\n"
    )
    litellm = tmp_path / "litellm.yaml"
    litellm.write_text(
        "model_list:\n"
        "  - model_name: qwen-coder   # the same box, as the team proxy sees it\n"
        "    litellm_params:\n"
        "      model: openai/qwen-2.5-coder\n"
        f"      api_base: {base_url}\n"
        f"      api_key: {key}\n"
    )
    env = cli_env(SECRET_SERVICE_BACKEND)

    first = run_cli("import", "--from", "opencode", str(opencode), "--config", str(config), env=env)
    assert first.returncode == 0, first.output
    assert "created:" in first.stdout
    second = run_cli("import", "--from", "litellm", str(litellm), "--config", str(config), env=env)
    assert second.returncode == 0, second.output
    assert "merged:" in second.stdout, second.stdout

    (instance,) = load_paths([str(config)]).instances
    assert instance.provider == "openai-compatible"
    assert [model.id for model in instance.models] == ["llama-3.3-70b", "qwen-2.5-coder"]
    assert instance.models[0] == ModelSpec(
        id="llama-3.3-70b", context_window=131072, max_output_tokens=8192
    )
    assert secret_service.lookup(f"{instance.id}/api_key") == key

    crush_file = tmp_path / "crush.json"
    exported = run_cli("export", "--to", "crush", "-o", str(crush_file), "--config", str(config))
    assert exported.returncode == 0, exported.output
    written = json.loads(crush_file.read_text())["providers"][instance.id]
    assert written["type"] == "openai-compat"
    assert written["api_key"].startswith(f"$(provreg secret get {instance.id} --config ")

    stand_in = tmp_path / "crush_stand_in.py"
    stand_in.write_text(CRUSH_STAND_IN)
    # crush finds `provreg` on its PATH, as a user's shell would.
    path = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    ran = subprocess.run(
        [sys.executable, str(stand_in), str(crush_file)],
        env={**env, "PATH": path},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.split() == [
        instance.id,
        "ok",
        "llama-3.3-70b,qwen-2.5-coder",
        "served:",
        "llama-3.3-70b,qwen-2.5-coder",
    ]
    assert endpoint.seen == ["/v1/models"]

    # The key went from the two files into the keyring and reached the endpoint;
    # it is in no file provreg wrote, no output, and not in the crush file.
    for text in (first.output, second.output, exported.output, ran.stdout, ran.stderr):
        assert key not in text
    for name, data in tree(config, state_dir(), crush_file).items():
        assert key.encode() not in data, name
    audit = [json.loads(line) for line in (state_dir() / "audit.jsonl").read_text().splitlines()]
    reads = [e for e in audit if e.get("action") == "secret-read"]
    assert [(e["instance_id"], e["fields"]) for e in reads] == [(instance.id, ["api_key"])]
