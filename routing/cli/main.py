"""The ``reroute`` command line: the argument parser of every command, and ``main``.

The commands themselves are :mod:`~routing.cli.route_cmd` (``route``, ``customs``),
:mod:`~routing.cli.batch_cmd` (``plan``, ``generate-returns``, ``whatif``),
:mod:`~routing.cli.server_cmd` (``serve``, ``network check``) and :mod:`~routing.cli.admin`
(``db``, ``keys``); what they share (exit codes, UsageError) is :mod:`~routing.cli.flags`.

Exit codes: 0 ok; 1 the server could not be reached or failed; 2 bad input (the message names
the field); 3 valid input but no feasible option (the message says why). Every error is one
line per problem on stderr, never a traceback (:mod:`~routing.cli.usage`).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, Sequence

from routing.cli import client, usage
from routing.cli.admin import add_admin_commands
from routing.cli.batch_cmd import cmd_generate, cmd_plan, cmd_whatif
from routing.cli.claims_cmd import add_claims_commands
from routing.cli.env_flags import document_env, env_defaults, subcommand_parser
from routing.cli.explain_cmd import cmd_explain
from routing.cli.flags import EXIT_FAIL, EXIT_INFEASIBLE, EXIT_OK, EXIT_USAGE, UsageError
from routing.cli.health_cmd import add_health_command
from routing.cli.plans_cmd import add_plans_commands
from routing.cli.route_cmd import cmd_customs, cmd_route
from routing.cli.server_cmd import cmd_network_check, cmd_serve
from routing.errors import NoFeasibleOption, RerouteError
from routing.plan.jobs import DEFAULT_QUEUE_LIMITS


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="reroute", description="Route cross-border e-commerce returns."
    )
    sub = ap.add_subparsers(dest="command", required=True)

    s = sub.add_parser(
        "serve",
        help="run the gRPC server (embedded default network unless --network)",
        epilog="Every flag can also be set by an environment variable: REROUTE_ and the flag's"
        " name in capitals, dashes as underscores (--metrics-port: REROUTE_METRICS_PORT;"
        " switches take true/false). A flag on the command line wins over its variable, the"
        " variable over the default. docs/deploy.md lists them.",
    )
    s.add_argument("--network", metavar="FILE", help="network TOML file (see hubs/FORMAT.md)")
    s.add_argument("--port", type=int, default=50051, help="0 = any free port (default 50051)")
    s.add_argument("--host", default="0.0.0.0")
    s.add_argument("--bench-echo", action="store_true", help=argparse.SUPPRESS)
    s.add_argument(
        "--database-url",
        help="SQLAlchemy URL, sqlite:///FILE or postgresql+psycopg://... (default:"
        " $REROUTE_DATABASE_URL, else sqlite:///<data dir>/reroute.db)",
    )
    s.add_argument("--tls-cert", metavar="PEM", help="serve TLS with this certificate")
    s.add_argument("--tls-key", metavar="PEM", help="the certificate's private key")
    s.add_argument("--tls-client-ca", metavar="PEM", help="require client certs from this CA")
    s.add_argument("--metrics-port", type=int, help="Prometheus /metrics port (default: off)")
    s.add_argument(
        "--http-port",
        type=int,
        metavar="N",
        help="also serve every reroute.v1 method as Connect (JSON or binary over HTTP POST) and"
        " gRPC-Web on this port (0 = any free port; default: off; docs/http.md)",
    )
    s.add_argument("--max-message-bytes", type=int, default=4 * 1024 * 1024)
    s.add_argument(
        "--rate-limit", type=float, default=200.0, help="per tenant per second (0 = off)"
    )
    s.add_argument("--burst", type=int, default=400, help="rate-limit burst per tenant")
    s.add_argument(
        "--plan-max-queued-jobs",
        type=int,
        default=DEFAULT_QUEUE_LIMITS.max_queued_jobs,
        help="plan jobs a tenant may have queued; then SubmitPlan is RESOURCE_EXHAUSTED"
        f" (default {DEFAULT_QUEUE_LIMITS.max_queued_jobs})",
    )
    s.add_argument(
        "--plan-max-queued-returns",
        type=int,
        default=DEFAULT_QUEUE_LIMITS.max_queued_returns,
        help="returns a tenant may have in queued and running plan jobs"
        f" (default {DEFAULT_QUEUE_LIMITS.max_queued_returns})",
    )
    s.add_argument(
        "--plan-lease-s",
        type=float,
        default=30.0,
        help="a running plan job's claim, renewed by its server; a job whose server stopped"
        " renewing it this long is FAILED as interrupted (default 30)",
    )
    s.add_argument(
        "--plan-poll-s",
        type=float,
        default=1.0,
        help="how often a server looks for plan jobs queued through other servers sharing"
        " the database (default 1)",
    )
    s.add_argument("--log-format", choices=("json", "text"), default="json")
    s.add_argument(
        "--auth",
        choices=("key", "none"),
        default="key",
        help="key (default): calls need an API key; none: no keys, every caller is tenant"
        " 'default' (local development and tests only)",
    )
    s.add_argument(
        "--workers",
        type=int,
        default=1,
        help="server processes sharing the port (SO_REUSEPORT) and the database (default 1)",
    )
    document_env(s)  # keep last: every flag above gets its variable in --help
    s.set_defaults(func=cmd_serve, env_flags=True)

    r = sub.add_parser("route", help="ask a server where one return should go")
    r.add_argument(
        "--file", metavar="JSON", help="a RouteReturnRequest or Return as JSON (proto JSON mapping)"
    )
    r.add_argument("--json", action="store_true", help="print the decision as JSON")
    r.add_argument("--timeout", type=float, default=10.0, help="call deadline in seconds")
    r.add_argument("--country", help="customer country, ISO 3166-1 alpha-2")
    r.add_argument("--postal-code", default="00000")
    r.add_argument("--territory", help="ISO 3166-2 code where customs cares, e.g. ES-CN")
    r.add_argument("--origin", help="origin facility id, e.g. origin_de_hh")
    r.add_argument("--sku", default="SKU-1")
    r.add_argument("--hs", help="HS code, 6-10 digits")
    r.add_argument("--value", help="unit value in major units, e.g. 49.99")
    r.add_argument("--currency", help="ISO 4217 currency of --value")
    r.add_argument("--weight-g", type=int, help="unit weight in grams")
    r.add_argument("--dims-mm", default="300x200x100", help="LxWxH in mm (default 300x200x100)")
    r.add_argument("--quantity", type=int, default=1)
    r.add_argument("--grade", default="A", help="condition grade A-D")
    r.add_argument("--reason", default="changed_mind")
    r.add_argument(
        "--import-date", help="when the goods entered the customer's country (default: return date)"
    )
    r.add_argument("--duty-paid", default="0", help="duty paid at that import, major units")
    r.add_argument("--vat-paid", default="0", help="VAT paid at that import, major units")
    r.add_argument(
        "--paid-currency", help="currency of --duty-paid/--vat-paid (default --currency)"
    )
    r.add_argument(
        "--vat-at-checkout", action="store_true", help="VAT was collected at checkout (IOSS...)"
    )
    r.add_argument("--return-date", help="routing date (default today)")
    r.add_argument("--max-days-to-refund", type=int)
    r.add_argument("--no-returnless", action="store_true")
    r.add_argument("--no-split", action="store_true")
    r.add_argument("--alternatives", type=int, default=5)
    r.add_argument("--idempotency-key")
    client.add_client_flags(r)
    r.set_defaults(func=cmd_route)

    x = sub.add_parser(
        "explain",
        help="replay a stored decision on the server and show what changed since it was made",
    )
    x.add_argument("decision_id", metavar="DECISION_ID", help="the decision's id")
    x.add_argument("--json", action="store_true", help="print ExplainDecisionResponse as JSON")
    x.add_argument("--timeout", type=float, default=30.0, help="call deadline in seconds")
    client.add_client_flags(x)
    x.set_defaults(func=cmd_explain)

    q = sub.add_parser("customs", help="assess one border crossing (no server needed)")
    q.add_argument(
        "from_country", metavar="FROM", nargs="?", help="export country (where the goods are)"
    )
    q.add_argument("to_country", metavar="TO", nargs="?", help="import country")
    q.add_argument(
        "--file",
        metavar="JSON",
        help="a QuoteCustomsRequest as JSON (proto JSON mapping): several item lines, the"
        " original import, territories; instead of FROM TO and the item flags",
    )
    q.add_argument(
        "--value", help="unit value in major units, e.g. 120.00 (required without --file)"
    )
    q.add_argument("--currency", help="ISO 4217 currency of --value (required without --file)")
    q.add_argument("--hs", help="HS code, 6-10 digits (required without --file)")
    q.add_argument("--date", help="day of the crossing (default today)")
    q.add_argument("--quantity", type=int, default=1)
    q.add_argument("--weight-g", type=int, default=500)
    q.add_argument("--channel", default="courier", help="postal, courier or freight")
    q.add_argument("--reason", default="changed_mind")
    q.add_argument("--goods-origin", help="where the merchant first exported them (default TO)")
    q.add_argument("--from-territory", help="ISO 3166-2 style territory, e.g. ES-CN")
    q.add_argument("--to-territory")
    q.add_argument("--bonded", action="store_true", help="the goods enter a customs warehouse")
    q.add_argument("--altered", action="store_true", help="used/repaired: no returned-goods relief")
    q.add_argument("--import-date", help="the outbound import into FROM (default date - 14 d)")
    q.add_argument("--duty-paid", help="duty paid at that import (default: estimated)")
    q.add_argument("--vat-paid", help="VAT paid at that import (default: estimated)")
    q.add_argument("--paid-currency", help="currency of --duty-paid/--vat-paid")
    q.add_argument(
        "--vat-at-checkout",
        action="store_true",
        help="the original import's VAT was collected at checkout (IOSS, UK <= GBP 135, ...)",
    )
    q.add_argument(
        "--entry-vat-at-checkout",
        action="store_true",
        help="this crossing enters TO under a checkout-VAT scheme (the seller charged TO's VAT)",
    )
    q.add_argument("--export-date", help="when the goods first left the goods' origin")
    q.add_argument("--in", dest="answer_currency", default="EUR", help="currency of the answer")
    q.add_argument("--json", action="store_true", help="print the assessment as JSON")
    q.set_defaults(func=cmd_customs)

    p = sub.add_parser("plan", help="plan a batch of returns (consolidation, capacities, gap)")
    p.add_argument(
        "returns", metavar="RETURNS", help="batch file, .csv or .parquet (docs/batch_format.md)"
    )
    p.add_argument("--network", metavar="FILE", help="network TOML (default: the embedded one)")
    p.add_argument("--time-limit", type=float, default=60.0, help="solver seconds (default 60)")
    p.add_argument(
        "--gap-limit",
        type=float,
        default=0.0,
        help="stop once the plan is proven within this relative gap, e.g. 0.01 = 1%% (default 0:"
        " prove optimality or use the whole time limit)",
    )
    p.add_argument("--horizon-days", type=int, default=7, help="capacity horizon (default 7)")
    p.add_argument(
        "--backend",
        default="auto",
        help="auto (default: Lagrangian + SCIP on facility-location shapes, else HiGHS),"
        " highs, cpsat, scip or cbc (needs the cbc extra: pip install 'reroute[cbc]')",
    )
    p.add_argument(
        "--out", required=True, metavar="DIR", help="writes plan.json and assignments.csv"
    )
    p.add_argument("--skip-invalid", action="store_true", help="plan the valid rows, list the rest")
    p.add_argument("--allow-overflow", action="store_true", help="price capacity shortfalls")
    p.add_argument("--overflow-price", default="50.00", help="per unit, network currency")
    p.add_argument(
        "--workers",
        type=int,
        help="processes for independent parts of the batch (default: the machine's cores)",
    )
    p.add_argument(
        "--ray-address",
        metavar="ADDR",
        help="solve the parts on a Ray cluster ('local' starts one; needs reroute[ray])",
    )
    p.add_argument("--json", action="store_true", help="print the plan summary as JSON")
    p.set_defaults(func=cmd_plan)

    g = sub.add_parser("generate-returns", help="a synthetic, realistic batch of returns")
    g.add_argument("n", type=int, metavar="N")
    g.add_argument("--seed", type=int, required=True)
    g.add_argument("--out", required=True, metavar="FILE", help=".csv or .parquet")
    g.add_argument("--start", help="first return date (default today)")
    g.add_argument("--network", metavar="FILE")
    g.add_argument("--json", action="store_true", help="print what was written as JSON")
    g.set_defaults(func=cmd_generate)

    add_admin_commands(sub)
    add_claims_commands(sub)
    add_plans_commands(sub)
    add_health_command(sub)

    n = sub.add_parser("network", help="network files")
    nsub = n.add_subparsers(dest="network_command", required=True)
    c = nsub.add_parser("check", help="validate a network file and summarise it")
    c.add_argument("file", metavar="FILE")
    c.add_argument("--json", action="store_true", help="print the summary as JSON")
    c.set_defaults(func=cmd_network_check)

    w = sub.add_parser("whatif", help="compare policies on a what-if scenario, write a report")
    w.add_argument("scenario", metavar="SCENARIO.toml", help="docs/scenario_format.md")
    w.add_argument("--out", required=True, metavar="DIR", help="report.html, report.json, CSVs")
    w.add_argument("--workers", type=int, help="variants at once (default: the machine's cores)")
    w.add_argument("--ray-address", help="run the variants on Ray ('local' starts one)")
    w.add_argument("--time-limit", type=float, help="solver seconds per variant (default: file)")
    w.add_argument("--json", action="store_true", help="print the variants' results as JSON")
    w.set_defaults(func=cmd_whatif)
    return usage.finish(ap)


def parse_args(argv: Sequence[str] | None, environ: Mapping[str, str]) -> argparse.Namespace:
    """The command line, with the environment variables of a command whose flags have them
    (``env_flags``; routing.cli.env_flags): flag > variable > default. Exits like argparse on a
    bad flag; UsageError naming the variable on a bad variable."""
    parser = build_parser()
    args = usage.parse(parser, argv)
    if getattr(args, "env_flags", False):
        tokens = sys.argv[1:] if argv is None else argv
        given = {t.split("=", 1)[0] for t in tokens if t.startswith("-")}
        used = env_defaults(subcommand_parser(parser, args.command), environ, given)
        if used:
            args = usage.parse(parser, argv)  # the variables are defaults now: flags still win
        args.from_env = used
    return args


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = parse_args(argv, os.environ)
    except SystemExit as exc:  # argparse has printed the usage and the reason
        return int(exc.code or 0)
    except UsageError as exc:  # an environment variable the flag would refuse
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        code: int = args.func(args)
    except KeyboardInterrupt:
        return EXIT_FAIL
    except BrokenPipeError:  # the reader went away (`| head`): not an error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except NoFeasibleOption as exc:  # a valid input without an answer
        usage.report(exc)
        return EXIT_INFEASIBLE
    except (RerouteError, OSError) as exc:  # the whole tree: bad flags, files, networks ...
        usage.report(exc)
        return EXIT_USAGE
    except Exception as exc:  # a bug of ours: one line, never a traceback
        usage.report(exc)
        return EXIT_FAIL
    return code


if __name__ == "__main__":
    raise SystemExit(main())
