"""The lab endpoint: one WSGI app for every AWS service the lab serves, plus the controller loop.

Per call: parse (``lab.wire``) -> faults -> interceptor -> moto -> after-hooks ->
wake the controllers of that service; the call log line is written last because
it carries the status and the time taken.

Other parts plug in here:
- ``@intercept(service, operation)``: answer an operation instead of moto (return a
  Response) or pass (return None);
- ``@after(service, operation)``: run after the answer (``operation="*"`` for all);
- an extension package (``lab.registry``, ``lab.elb``, ``lab.ecs``) has an
  ``intercept`` module that registers those on import and may define
  ``setup(lab) -> list[Controller]``, called once at start in package order.
"""

from __future__ import annotations

import dataclasses
import importlib
import io
import json
import logging
import os
import signal
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from typing import Any

from lab import clock
from lab.calls import CallLog, CallRecord, from_ansible
from lab.config import LabConfig
from lab.faults import FaultError, FaultTable
from lab.loopback import PREFIX_STATE_KEY, Loopback, LoopbackExhausted, LoopbackPrefixInUse, claim_prefix, claims_dir
from lab.state import State
from lab.wire import Request, Response, aws_error, json_response, parse_request

log = logging.getLogger("lab")

EXTENSIONS = ("lab.registry", "lab.elb", "lab.ecs", "lab.codedeploy")

# Services whose moto app depends on the signing name only (no path or target based routing in moto).
CACHEABLE_SERVICES = frozenset(
    {
        "ecs",
        "elasticloadbalancing",
        "ecr",
        "codedeploy",
        "monitoring",
        "logs",
        "iam",
        "ec2",
        "sts",
        "autoscaling",
        "application-autoscaling",
        "events",
        "sns",
        "sqs",
        "ssm",
        "secretsmanager",
        "cloudformation",
        "kms",
    }
)

Interceptor = Callable[[Request], "Response | None"]
AfterHook = Callable[[Request, int], None]

_INTERCEPTORS: dict[tuple[str, str], Interceptor] = {}
_AFTER: dict[tuple[str, str], list[AfterHook]] = {}


def intercept(service: str, operation: str) -> Callable[[Interceptor], Interceptor]:
    """Register the interceptor of one operation (the last registration wins)."""

    def register(func: Interceptor) -> Interceptor:
        _INTERCEPTORS[(service, operation)] = func
        return func

    return register


def after(service: str, operation: str) -> Callable[[AfterHook], AfterHook]:
    """Register a hook run after an operation was answered (``"*"``: every operation of the service)."""

    def register(func: AfterHook) -> AfterHook:
        hooks = _AFTER.setdefault((service, operation), [])
        if func not in hooks:
            hooks.append(func)
        return func

    return register


def interceptor_for(service: str, operation: str) -> Interceptor | None:
    return _INTERCEPTORS.get((service, operation))


def after_hooks_for(service: str, operation: str) -> list[AfterHook]:
    return _AFTER.get((service, operation), []) + _AFTER.get((service, "*"), [])


class Controller:
    """Base of the reconciling controllers. ``services``: whose mutating calls wake it (empty: all)."""

    name = "controller"
    services: tuple[str, ...] = ()

    def reconcile(self, lab: Lab) -> None:
        """Bring the real world in line with moto's state. Idempotent; take ``lab.lock`` around moto access."""

    def shutdown(self, lab: Lab) -> None:
        """Stop what this controller started."""


# moto ------------------------------------------------------------------------


class MotoStore:
    """moto in this process: its WSGI dispatcher for pass-through calls and its backends for direct reads."""

    def __init__(self) -> None:
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

        from lab import moto_patches

        moto_patches.apply()
        self.account_id = DEFAULT_ACCOUNT_ID
        self.app = DomainDispatcherApplication(create_backend_app)
        self._apps: dict[str, Any] = {}

    def backend(self, service: str, region: str) -> Any:
        from moto.backends import get_backend

        return get_backend(service)[self.account_id][region]  # type: ignore[call-overload]

    def ecs(self, region: str) -> Any:
        return self.backend("ecs", region)

    def elbv2(self, region: str) -> Any:
        return self.backend("elbv2", region)

    def ec2(self, region: str) -> Any:
        return self.backend("ec2", region)

    def ecr(self, region: str) -> Any:
        return self.backend("ecr", region)

    def codedeploy(self, region: str) -> Any:
        return self.backend("codedeploy", region)

    def cloudwatch(self, region: str) -> Any:
        return self.backend("cloudwatch", region)

    def logs(self, region: str) -> Any:
        return self.backend("logs", region)

    def call(self, req: Request) -> Response:
        environ = dict(req.environ)
        environ["wsgi.input"] = io.BytesIO(req.body)
        environ["CONTENT_LENGTH"] = str(len(req.body))
        captured: dict[str, Any] = {}

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], None]:
            captured["status"] = int(status.split(" ", 1)[0])
            captured["headers"] = headers
            return lambda _data: None

        chunks = self._application(req, environ)(environ, start_response)
        try:
            body = b"".join(chunks)
        finally:
            close = getattr(chunks, "close", None)
            if close:
                close()
        headers = [(k, v) for k, v in captured["headers"] if k.lower() not in ("content-length", "transfer-encoding")]
        return Response(body, status=captured["status"], headers=headers)

    def _application(self, req: Request, environ: dict[str, Any]) -> Any:
        """moto's Flask app for the call; cached per service where the service alone decides it.

        moto's dispatcher tries hundreds of URL patterns per call; for these
        services the signing name always leads to the same backend app.
        """
        if req.service not in CACHEABLE_SERVICES:
            return self.app.get_application(environ)
        app = self._apps.get(req.service)
        if app is None:
            app = self._apps[req.service] = self.app.get_application(environ)
        return app

    def prewarm(self, services: Iterable[str], region: str = "us-east-1") -> None:
        """Build moto's per-service apps and backends ahead of the first call (moto builds them lazily)."""
        for service in services:
            auth = f"AWS4-HMAC-SHA256 Credential=lab/20250101/{region}/{service}/aws4_request, SignedHeaders=host, Signature=0"
            try:
                self.app.get_application({"HTTP_AUTHORIZATION": auth, "PATH_INFO": "/", "HTTP_X_AMZ_TARGET": "x.y"})
            except Exception:  # noqa: BLE001 - warming is best effort
                log.debug("prewarm of %s failed", service, exc_info=True)


# the Lab object --------------------------------------------------------------


class Lab:
    """What interceptors and controllers share. See lab/ARCHITECTURE.md."""

    def __init__(self, config: LabConfig, state: State | None = None, moto: MotoStore | None = None) -> None:
        self.config = config
        self.state = state or State.load(config.state_file)
        self.moto = moto or MotoStore()
        self.loopback = Loopback(self.state, config.loopback_prefix)
        self.faults = FaultTable()
        self.lock = threading.RLock()
        self.runtime: Any = None  # set by lab.ecs setup
        self.haproxy: Any = None  # set by lab.elb setup
        self.registry: Any = None  # set by lab.registry setup
        self.controllers: list[Controller] = []
        self.loop = ControllerLoop(self)

    def wake(self, service: str) -> None:
        """Ask the controller loop to run the controllers of ``service`` soon."""
        self.loop.wake(service)

    def add_controller(self, controller: Controller) -> None:
        self.controllers.append(controller)


def woken_by(services: set[str]) -> Callable[[Controller], bool]:
    """Which controllers a wake for ``services`` runs: those that listen to one of them, or to all."""
    return lambda controller: not controller.services or bool(services.intersection(controller.services))


class ControllerLoop:
    """Calls every controller each tick, and the woken ones as soon as they are woken."""

    def __init__(self, lab: Lab) -> None:
        self.lab = lab
        self._event = threading.Event()
        self._woken: set[str] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.errors: dict[str, str] = {}

    def wake(self, service: str) -> None:
        with self._lock:
            self._woken.add(service)
        self._event.set()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="lab-controllers", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        self._event.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        next_tick = time.monotonic()
        while not self._stop.is_set():
            woke = self._event.wait(max(0.0, next_tick - time.monotonic()))
            if self._stop.is_set():
                return
            self._event.clear()
            with self._lock:
                services, self._woken = self._woken, set()
            if woke and time.monotonic() < next_tick:
                self.run_once(woken_by(services))
            else:
                self.run_once(lambda c: True)
                next_tick = time.monotonic() + self.lab.config.tick_seconds

    def run_once(self, wanted: Callable[[Controller], bool] = lambda c: True) -> None:
        for controller in list(self.lab.controllers):
            if not wanted(controller):
                continue
            try:
                controller.reconcile(self.lab)
                self.errors.pop(controller.name, None)
            except Exception:  # noqa: BLE001 - one controller's bug must not stop the others
                text = traceback.format_exc()
                if self.errors.get(controller.name) != text:
                    log.error("controller %s failed:\n%s", controller.name, text)
                self.errors[controller.name] = text


# the WSGI app ----------------------------------------------------------------


class LabApp:
    def __init__(self, lab: Lab, calls: CallLog | None) -> None:
        self.lab = lab
        self.calls = calls

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        started = time.perf_counter()
        # Read the whole body first, always, so interceptors, moto and the call log see the same bytes.
        body = _read_body(environ)
        path = environ.get("PATH_INFO", "")
        response = self.lab_api(environ, path, body) if path.startswith("/_lab/") else self.aws_call(environ, body, started)
        return response(environ, start_response)

    # AWS calls ---------------------------------------------------------------

    def aws_call(self, environ: dict[str, Any], body: bytes, started: float) -> Response:
        req = parse_request(environ, body, self.lab.moto.account_id)
        req.lab = self.lab
        req._moto = self._call_moto
        injected = self.lab.faults.decide(req.service, req.operation, req.protocol)
        if injected.latency_ms:
            time.sleep(injected.latency_ms / 1000.0)
        response = aws_error(req, injected.code or "InternalFailure", injected.message, injected.status) if injected.kind else self._answer(req)
        self._log(req, response.status_code, started, injected.kind, from_ansible(environ.get("HTTP_USER_AGENT")))
        return response

    def _answer(self, req: Request) -> Response:
        try:
            with self.lab.lock:
                response = self._intercept_or_moto(req)
                req.response = response
                for hook in after_hooks_for(req.service, req.operation):
                    hook(req, response.status_code)
        except Exception as exc:  # noqa: BLE001 - the caller gets an AWS error, the log the traceback
            log.error("%s:%s failed:\n%s", req.service, req.operation, traceback.format_exc())
            return aws_error(req, "InternalFailure", f"lab error: {type(exc).__name__}: {exc}", 500)
        if req.mutating and response.status_code < 400:
            self.lab.wake(req.service)
        return response

    def _intercept_or_moto(self, req: Request) -> Response:
        interceptor = interceptor_for(req.service, req.operation)
        if interceptor is not None:
            response = interceptor(req)
            if response is not None:
                return response
        return self._call_moto(req)

    def _call_moto(self, req: Request) -> Response:
        with self.lab.lock:
            return self.lab.moto.call(req)

    def _log(self, req: Request, status: int, started: float, fault: str | None, ansible: bool) -> None:
        if self.calls is None:
            return
        ms = round((time.perf_counter() - started) * 1000.0, 3)
        self.calls.append(CallRecord(time.time(), req.service, req.operation, req.mutating, status, req.region, ms, fault, ansible))

    # /_lab/ API ----------------------------------------------------------------

    def lab_api(self, environ: dict[str, Any], path: str, body: bytes) -> Response:
        method = environ.get("REQUEST_METHOD", "GET")
        if path == "/_lab/health":
            return json_response(self.health())
        if path == "/_lab/status":
            return json_response(self.status())
        if path == "/_lab/faults":
            return self.faults_api(method, body)
        return json_response({"message": f"no such lab path {path}"}, 404)

    def health(self) -> dict[str, Any]:
        return {"status": "ok", "endpoint": self.lab.config.endpoint, "pid": os.getpid(), "controllers": [c.name for c in self.lab.controllers]}

    def status(self) -> dict[str, Any]:
        return {
            **self.health(),
            "state": self.lab.state.snapshot(),
            "faults": self.lab.faults.describe(),
            "controller_errors": {name: text.strip().splitlines()[-1] for name, text in self.lab.loop.errors.items()},
            "registry": getattr(self.lab.registry, "describe", lambda: None)(),
        }

    def faults_api(self, method: str, body: bytes) -> Response:
        if method == "GET":
            return json_response(self.lab.faults.describe())
        if method == "DELETE":
            return json_response(self.lab.faults.apply({"kind": "clear"}))
        try:
            spec = json.loads(body or b"{}")
            table = self.lab.faults.apply(spec)
        except (ValueError, FaultError) as exc:
            return json_response({"message": str(exc)}, 400)
        if spec.get("kind") == "unhealthy":
            self.lab.wake("elasticloadbalancing")
        if spec.get("kind") == "kill-task":
            self.lab.wake("ecs")
        return json_response(table)


def _read_body(environ: dict[str, Any]) -> bytes:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    stream = environ["wsgi.input"]
    if length:
        return stream.read(length)
    # Chunked uploads: werkzeug's dev server exposes them as a stream ending at EOF.
    if environ.get("HTTP_TRANSFER_ENCODING", "").lower() == "chunked" or environ.get("wsgi.input_terminated"):
        return stream.read()
    return b""


# extensions and serving --------------------------------------------------------


def load_extensions(lab: Lab, packages: Iterable[str] = EXTENSIONS) -> list[str]:
    """Import each package's ``intercept`` module and run its ``setup``; returns the packages loaded."""
    loaded = []
    for package in packages:
        name = f"{package}.intercept"
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name in (package, name):
                continue
            raise
        setup = getattr(module, "setup", None)
        if setup is not None:
            for controller in setup(lab) or []:
                lab.add_controller(controller)
        loaded.append(package)
    return loaded


def shutdown_controllers(lab: Lab) -> None:
    """Reverse order of registration: tasks stop before the load balancers and the registry go."""
    for controller in reversed(lab.controllers):
        try:
            controller.shutdown(lab)
        except Exception:  # noqa: BLE001 - keep stopping the rest
            log.error("shutdown of %s failed:\n%s", controller.name, traceback.format_exc())


def make_http_server(app: Callable[..., Any], host: str, port: int) -> Any:
    from moto.moto_server.werkzeug_app import MotoRequestHandler
    from werkzeug.serving import make_server

    class QuietHandler(MotoRequestHandler):
        # HTTP/1.0: the connection closes after each answer. With keep-alive,
        # werkzeug drains the socket after a response and swallows the client's
        # next request on it, which then hangs until botocore's 60 s read timeout.
        protocol_version = "HTTP/1.0"

        def log_request(self, *args: Any, **kwargs: Any) -> None:
            pass  # every call is in calls.jsonl already

    return make_server(host, port, app, threaded=True, request_handler=QuietHandler)


def serve(config: LabConfig) -> int:
    """Run the lab in the foreground until SIGTERM or SIGINT."""
    from moto.core import DEFAULT_ACCOUNT_ID

    # Every caller lands in one account whatever its access key (moto derives accounts from 12-digit keys).
    os.environ["MOTO_ACCOUNT_ID"] = DEFAULT_ACCOUNT_ID
    # AWS's managed policies exist on AWS (AmazonECSTaskExecutionRolePolicy, AWSCodeDeployRoleForECS, ...).
    os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    clock.set_time_scale(config.time_scale)
    config.dir.mkdir(parents=True, exist_ok=True)
    (config.dir / ".cutover-lab").write_text("This directory belongs to the cutover lab; `python -m lab down` empties it (logs stay).\n")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)

    try:
        claim = claim_prefix(config.loopback_prefix, claims_dir())
    except (LoopbackPrefixInUse, LoopbackExhausted) as exc:
        log.error("%s", exc)
        return 1
    config = dataclasses.replace(config, loopback_prefix=claim.prefix)
    lab = Lab(config)
    lab.state.set(PREFIX_STATE_KEY, claim.prefix)
    lab.state.add_process("serve", os.getpid())
    lab.state.set("endpoint", config.endpoint)
    config.calls_file.write_text("")
    calls = CallLog(config.calls_file)
    httpd = make_http_server(LabApp(lab, calls), config.host, config.port)
    stopping = threading.Event()

    def on_signal(signum: int, _frame: Any) -> None:
        if not stopping.is_set():
            stopping.set()
            log.info("signal %d: stopping", signum)
            threading.Thread(target=httpd.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        loaded = load_extensions(lab)
        log.info("extensions: %s; controllers: %s", loaded, [c.name for c in lab.controllers])
        lab.loop.start()
        threading.Thread(target=lab.moto.prewarm, args=(("ecs", "elasticloadbalancing", "ecr", "sts", "ec2"),), daemon=True).start()
        log.info("listening on %s; load balancers and tasks on %s.*", config.endpoint, config.loopback_prefix)
        httpd.serve_forever(poll_interval=0.2)
    finally:
        lab.loop.stop()
        shutdown_controllers(lab)
        httpd.server_close()
        calls.close()
        lab.state.remove_process("serve")
        claim.release()
        log.info("stopped")
    return 0
