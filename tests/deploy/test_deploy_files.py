"""deploy/ describes the same layout as the tested one (bot/runtime/production.py).

Docker and Kubernetes do not run here, so these tests parse docker-compose.yml,
the Helm values and nginx.conf and hold them to the process layout that
tests/integration/test_production.py starts for real: the same processes, two
replicas, the same ports and variable names, secrets only from the
environment or Kubernetes secrets, and none of the Helm chart's insecure
defaults.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Dict, List
from urllib.parse import urlsplit

import pytest
import yaml

from bot.runtime import nginx
from bot.runtime.processes import action_server_spec, service_spec
from bot.runtime.production import ENDPOINTS_FILE, ProductionLayout
from bot.settings import PROJECT_ROOT, load_settings

DEPLOY = PROJECT_ROOT / "deploy"
SECRETS = ("RASA_JWT_SECRET", "AGENT_SESSION_KEY", "CUSTOMER_TOKEN_SECRET")
# Variables with credentials in them.
SECRET_URLS = ("DATABASE_URL", "TRACKER_STORE_URL", "EVENT_BROKER_URL")
# What every process of the layout must agree on.
SHARED = (
    "BOT_ENV",
    *SECRETS,
    *SECRET_URLS,
    "LOCK_STORE_URL",
    "SOCKETIO_REDIS_URL",
    "EVENT_BROKER_QUEUE",
    "EVENT_BROKER_EXCHANGE",
)
STORES = {"postgres", "redis", "rabbitmq"}


@pytest.fixture(scope="module")
def compose() -> Dict[str, Any]:
    return dict(yaml.safe_load((DEPLOY / "docker-compose.yml").read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def helm() -> Dict[str, Any]:
    return dict(yaml.safe_load((DEPLOY / "helm" / "values.yaml").read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def helm_service() -> Dict[str, Any]:
    text = (DEPLOY / "helm" / "service-values.yaml").read_text(encoding="utf-8")
    return dict(yaml.safe_load(text))


@pytest.fixture(scope="module")
def layout(tmp_path_factory: pytest.TempPathFactory) -> ProductionLayout:
    settings = load_settings(
        {
            "BOT_VAR_DIR": str(tmp_path_factory.mktemp("var")),
            "LOCK_STORE_URL": "redis://127.0.0.1:6379/3",
            "SOCKETIO_REDIS_URL": "redis://127.0.0.1:6379/4",
            "TRACKER_STORE_URL": "postgresql://shop:pw@127.0.0.1/tracker",
            "EVENT_BROKER_URL": "amqp://shop:pw@127.0.0.1:5672/",
        }
    )
    return ProductionLayout(settings)


def app_services(compose: Dict[str, Any]) -> Dict[str, Dict[str, Any]]:
    return {
        name: service
        for name, service in compose["services"].items()
        if service.get("image", "").startswith("shop-support-assistant")
    }


def env_names(entries: List[Dict[str, Any]]) -> List[str]:
    return [entry["name"] for entry in entries]


def test_compose_runs_the_processes_of_the_layout_and_the_three_stores(compose, layout):
    layout_names = {spec.name for spec in layout.specs(Path("model.tar.gz"))}

    assert set(compose["services"]) == layout_names | STORES
    replicas = [name for name in compose["services"] if name.startswith("rasa-")]
    assert len(replicas) == layout.replicas == 2


def test_compose_starts_each_process_with_the_layouts_command(compose, layout):
    services = compose["services"]
    settings = layout.settings

    assert services["actions"]["command"] == ["python", *action_server_spec(settings).command[1:]]
    assert services["service"]["command"] == ["python", *service_spec(settings).command[1:]]
    for name in ("rasa-1", "rasa-2"):
        assert services[name]["command"][:4] == ["python", "-m", "bot", "run-replica"]


def test_every_process_in_compose_gets_the_shared_settings(compose, layout):
    assert set(SHARED) <= set(layout.environment())
    for name, service in app_services(compose).items():
        assert set(SHARED) <= set(service["environment"]), name
        assert service["environment"]["BOT_ENV"] == "production"


def test_compose_ports_match_the_settings_and_only_nginx_and_the_console_are_published(compose):
    services = compose["services"]
    env = services["service"]["environment"]

    assert services["nginx"]["ports"] == [f"{env['RASA_PORT']}:{env['RASA_PORT']}"]
    assert services["service"]["ports"] == [f"{env['SERVICE_PORT']}:{env['SERVICE_PORT']}"]
    for name in ("actions", "rasa-1", "rasa-2", *STORES):
        assert "ports" not in services[name], name
    actions_port = services["actions"]["command"][-1]
    assert actions_port == env["ACTION_PORT"]
    assert urlsplit(env["ACTION_ENDPOINT_URL"]).port == int(actions_port)
    assert urlsplit(env["ACTION_ENDPOINT_URL"]).hostname == "actions"


def test_compose_takes_every_secret_from_the_environment(compose):
    reference = re.compile(r"^\$\{[A-Z_]+:\?[^}]+\}$")
    for name, service in app_services(compose).items():
        env = service["environment"]
        for variable in SECRETS:
            assert reference.match(env[variable]), (name, variable)
        for variable in SECRET_URLS:
            # user:${PASSWORD:?…}@host — urlsplit cannot parse the reference.
            credentials = re.match(r"^[a-z]+://[^:/]+:(.+)@[^@]+$", env[variable])
            assert credentials and reference.match(credentials.group(1)), (name, variable)
    stores = compose["services"]
    assert reference.match(stores["postgres"]["environment"]["POSTGRES_PASSWORD"])
    assert reference.match(stores["rabbitmq"]["environment"]["RABBITMQ_DEFAULT_PASS"])


def test_compose_nginx_config_is_the_layouts_config_for_the_replica_hosts(compose):
    rendered = nginx.render(
        nginx.NginxConfig(
            prefix=Path("/tmp/nginx"),
            listen_host="0.0.0.0",
            listen_port=5005,
            upstreams=["rasa-1:5005", "rasa-2:5005"],
        )
    )

    assert (DEPLOY / "nginx.conf").read_text(encoding="utf-8") == rendered
    replicas = [name for name in compose["services"] if name.startswith("rasa-")]
    assert re.findall(r"server (rasa-\d+):5005", rendered)[:2] == replicas


def test_every_endpoint_variable_is_produced_by_the_layout(layout):
    used = set(re.findall(r"\$\{([A-Z_]+)\}", ENDPOINTS_FILE.read_text(encoding="utf-8")))

    assert used
    assert used <= set(layout.replica_environment())


def test_helm_runs_two_replicas_with_the_layouts_replica_command(helm):
    assert helm["replicaCount"] == 2
    assert helm["command"] + helm["args"][:1] == ["python", "-m", "bot", "run-replica"]
    assert "--auth-token" not in helm["args"]
    assert "--cors" not in helm["args"]


def test_helm_overrides_the_charts_insecure_defaults(helm):
    text = (DEPLOY / "helm" / "values.yaml").read_text(encoding="utf-8")
    settings = helm["applicationSettings"]

    assert "rasaToken" not in text
    assert "UNSET" not in re.sub(r"#.*", "", text)
    assert settings["token"] == ""
    assert settings["cors"] not in ("*", "'*'")
    assert "*" not in str(settings["cors"])


@pytest.mark.parametrize("part", ["rasa", "rasa-action-server", "service"])
def test_helm_secrets_come_from_kubernetes_secrets_and_shared_settings_are_set(
    helm, helm_service, part
):
    values = {"rasa": helm, "rasa-action-server": helm["rasa-action-server"]}.get(
        part, helm_service
    )
    entries = values["extraEnv"]
    names = env_names(entries)

    assert set(SHARED) <= set(names)
    for entry in entries:
        if entry["name"] in SECRETS + SECRET_URLS:
            assert "value" not in entry, entry["name"]
            assert entry["valueFrom"]["secretKeyRef"]["name"] == "shop-support"
    assert next(e["value"] for e in entries if e["name"] == "BOT_ENV") == "production"


def test_helm_action_server_is_private_and_where_the_replicas_call_it(helm):
    action = helm["rasa-action-server"]
    url = next(e["value"] for e in helm["extraEnv"] if e["name"] == "ACTION_ENDPOINT_URL")

    assert action["service"]["type"] == "ClusterIP"
    assert action["ingress"]["enabled"] is False
    assert urlsplit(url).port == action["service"]["port"] == action["applicationSettings"]["port"]
    assert action["args"][-1] == str(action["applicationSettings"]["port"])


def test_helm_load_balancer_keeps_socketio_sticky_and_never_resends_a_message(helm):
    annotations = helm["ingress"]["annotations"]

    assert annotations["nginx.ingress.kubernetes.io/upstream-hash-by"] == "$remote_addr"
    assert annotations["nginx.ingress.kubernetes.io/proxy-next-upstream"] == "error"
    assert helm["nginx"]["enabled"] is False
    assert helm["ingress"]["tls"]
