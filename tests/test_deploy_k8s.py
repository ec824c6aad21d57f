"""The Kubernetes manifests in deploy/k8s/ cannot run here, so they are checked:
against the Kubernetes API schemas (kubernetes-validate, strict: no unknown
fields), and against the app and the settings: the probes name real routes,
the ports and the index's mounts agree, every QA_ variable is a setting."""

from __future__ import annotations

from pathlib import Path

import kubernetes_validate
import pytest
import yaml
from fastapi.testclient import TestClient

from api.app import create_app
from qa.service import QAService
from qa.settings import Settings

K8S = Path(__file__).resolve().parent.parent / "deploy" / "k8s"
KUBERNETES = "1.30.0"  # the oldest release the manifests must suit; the schemas ship with the package


def documents() -> list[dict]:
    return [doc for path in sorted(K8S.glob("*.yaml"))
            for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]


def one(kind: str) -> dict:
    [found] = [doc for doc in documents() if doc["kind"] == kind]
    return found


def pod_spec(kind: str) -> dict:
    spec = one(kind)["spec"]
    return spec["jobTemplate"]["spec"]["template"]["spec"] if kind == "CronJob" else spec["template"]["spec"]


def env(container: dict) -> dict[str, str]:
    return {item["name"]: item["value"] for item in container.get("env", [])}


@pytest.mark.parametrize("version", [KUBERNETES, kubernetes_validate.latest_version()])
def test_every_manifest_is_valid_for_kubernetes(version: str) -> None:
    docs = documents()
    assert {doc["kind"] for doc in docs} >= {"Deployment", "Service", "CronJob", "PersistentVolumeClaim"}
    for doc in docs:
        kubernetes_validate.validate(doc, version, strict=True)


def test_the_schema_check_refuses_a_wrong_manifest() -> None:
    deployment = one("Deployment")
    deployment["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["httpGet"]["pathh"] = "/x"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES, strict=True)


def test_the_probes_are_routes_of_the_app(tmp_path: Path, fixture_service: QAService) -> None:
    [container] = pod_spec("Deployment")["containers"]
    ready, alive = (container[probe]["httpGet"]["path"] for probe in ("readinessProbe", "livenessProbe"))
    with TestClient(create_app(Settings(index_dir=tmp_path / "index"))) as loading:  # no index yet
        assert loading.get(alive).status_code == 200
        assert loading.get(ready).status_code == 503
    served = TestClient(create_app(Settings(index_dir=tmp_path / "index"), fixture_service))
    answer = served.get(ready)
    assert answer.status_code == 200
    assert answer.json()["generation"] == fixture_service.index.generation


def test_ports_agree_from_the_service_to_the_command() -> None:
    [container] = pod_spec("Deployment")["containers"]
    [port] = container["ports"]
    command = container["command"]
    assert command[:2] == ["qa", "serve"]
    assert int(command[command.index("--port") + 1]) == port["containerPort"]
    for probe in ("readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"]["port"] == port["name"]
    assert [p["targetPort"] for p in one("Service")["spec"]["ports"]] == [port["name"]]
    assert one("Service")["spec"]["selector"] == one("Deployment")["spec"]["selector"]["matchLabels"]


def test_replicas_read_the_index_that_the_job_writes() -> None:
    claim = one("PersistentVolumeClaim")["metadata"]["name"]
    serve, index = pod_spec("Deployment"), pod_spec("CronJob")
    [serve_volume], [index_volume] = serve["volumes"], index["volumes"]
    assert serve_volume["persistentVolumeClaim"] == {"claimName": claim, "readOnly": True}
    assert index_volume["persistentVolumeClaim"]["claimName"] == claim
    assert not index_volume["persistentVolumeClaim"].get("readOnly")
    [server], [indexer] = serve["containers"], index["containers"]
    assert indexer["command"] == ["qa", "index"]
    [serve_mount], [index_mount] = server["volumeMounts"], indexer["volumeMounts"]
    assert serve_mount["readOnly"] is True and not index_mount.get("readOnly")
    # The same folder of the volume: the replica's mount of its subPath, the Job's below its mount.
    served = Path(serve_mount.get("subPath", "")) / Path(env(server)["QA_INDEX_DIR"]).relative_to(
        serve_mount["mountPath"])
    written = Path(index_mount.get("subPath", "")) / Path(env(indexer)["QA_INDEX_DIR"]).relative_to(
        index_mount["mountPath"])
    assert served == written
    assert one("CronJob")["spec"]["concurrencyPolicy"] == "Forbid"  # one writer at a time


def test_every_variable_is_a_setting() -> None:
    for kind in ("Deployment", "CronJob"):
        for container in pod_spec(kind)["containers"]:
            for name in env(container):
                assert name.startswith("QA_") and name[3:].lower() in Settings.model_fields, name
