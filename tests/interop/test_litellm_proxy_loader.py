"""An export is loaded by the LiteLLM proxy's own config loader.

`litellm.proxy.proxy_server.ProxyConfig.load_config` is what `litellm --config
config.yaml` runs at start: it reads the YAML, resolves every `os.environ/X`
reference and builds the router's deployments. It runs in a child process
(the proxy module sets process-wide state), offline (the local cost map),
with dummy values for the variables the export names.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from provreg.cli import main
from provreg.config.read.load_set import load_paths

LOADER = r"""
import asyncio, json, sys
from litellm.proxy.proxy_server import ProxyConfig

async def load():
    config = ProxyConfig()
    router, _, _ = await config.load_config(router=None, config_file_path=sys.argv[1])
    deployments = []
    for deployment in router.model_list:
        params = deployment["litellm_params"]
        deployments.append({
            "model_name": deployment["model_name"],
            "model": params["model"],
            "api_base": params.get("api_base"),
            "api_key": params.get("api_key"),
            "instance": deployment.get("model_info", {}).get("provreg_instance"),
        })
    print(json.dumps(deployments))

asyncio.run(load())
"""


def test_the_proxy_loads_every_sample_instance_with_its_references_resolved(
    sample_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    exported = tmp_path / "config.yaml"
    assert (
        main(["export", "--to", "litellm", "-o", str(exported), "--config", str(sample_dir)]) == 0
    )
    capsys.readouterr()
    variables = sorted(
        set(re.findall(r"os\.environ/([A-Za-z_][A-Za-z0-9_]*)", exported.read_text()))
    )
    assert variables  # the samples' keys are references, never values
    env = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
    env.update({name: f"value-of-{name}" for name in variables})
    loaded = subprocess.run(
        [sys.executable, "-c", LOADER, str(exported)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert loaded.returncode == 0, loaded.stderr[-2000:]
    deployments = json.loads(loaded.stdout.strip().splitlines()[-1])
    instances = {i.id: i for i in load_paths([str(sample_dir)]).instances}
    assert {d["instance"] for d in deployments} == set(instances)
    for deployment in deployments:
        instance = instances[deployment["instance"]]
        # The proxy resolved `os.environ/X` to the variable's value: a reference went in.
        if deployment["api_key"] is not None:
            assert deployment["api_key"].startswith("value-of-"), deployment
        base_url = instance.values.get("base_url")
        if instance.provider in ("openai-compatible", "acme-gateway"):
            expected = base_url or "https://llm.acme.internal/v1"
            assert deployment["api_base"] == expected, deployment
            assert deployment["model"].startswith("openai/"), deployment
    by_instance = {d["instance"]: d for d in deployments}
    assert by_instance["personal-anthropic"]["model"] == "anthropic/claude-sonnet-4-5"
    assert by_instance["gemini"]["model"] == "gemini/gemini-2.5-flash"
    assert by_instance["local-ollama"]["api_base"] == "http://localhost:11434"
