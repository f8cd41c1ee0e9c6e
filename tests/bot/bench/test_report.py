import json

from bot.bench.report import BenchResults, Point, TargetResult, markdown, target_checks, write
from bot.bench.stats import Summary


def summary(throughput, p95, errors=0):
    return Summary(
        turns=int(throughput * 10),
        errors=errors,
        elapsed=10.0,
        throughput=throughput,
        p50_ms=p95 / 2,
        p95_ms=p95,
        p99_ms=p95 * 1.5,
    )


def results(ours_throughput=30.0, ours_p95=250.0, ours_errors=0):
    vanilla = TargetResult(
        "vanilla",
        [Point(1, summary(8.0, 40.0)), Point(20, summary(15.0, 900.0))],
        {"rasa": 512.0},
    )
    ours = TargetResult(
        "ours-2",
        [
            Point(1, summary(6.0, 60.0)),
            Point(
                20,
                summary(ours_throughput, ours_p95, ours_errors),
                {"rest": summary(15.0, 200.0), "socketio": summary(15.0, 280.0)},
                {"HTTP 502": ours_errors} if ours_errors else {},
            ),
        ],
        {"actions": 150.0, "rasa-1": 700.0, "rasa-2": 690.0, "nginx": 8.0},
    )
    return BenchResults([vanilla, ours], duration=30.0, machine={"cores": 2})


def test_the_table_has_a_row_per_target_and_concurrency_with_the_figures():
    report = markdown(results())
    assert "| vanilla | 20 | 15.0 | 450 | 900 | 1350 | 0 | 150 | - / - |" in report
    assert "| ours-2 | 20 | 30.0 | 125 | 250 | 375 | 0 | 300 | 200 / 280 |" in report


def test_met_targets_are_reported_as_met():
    lines = target_checks(results())
    assert lines == [
        "- ours-2: throughput 2.00x the starter bot's (met); p95 250 ms (met, <= 300); "
        "0 errors (met, 0)"
    ]


def test_missed_targets_are_reported_as_missed():
    [line] = target_checks(results(ours_throughput=20.0, ours_p95=450.0, ours_errors=3))
    assert "1.33x the starter bot's (missed)" in line
    assert "p95 450 ms (missed" in line
    assert "3 errors (missed" in line


def test_memory_is_listed_per_process_with_a_total():
    report = markdown(results())
    assert "| ours-2 | rasa-1 | 700 |" in report
    assert "| ours-2 | **all** | 1548 |" in report


def test_errors_are_listed_by_kind():
    assert "- ours-2 at 20: HTTP 502 (4x)" in markdown(results(ours_errors=4))


def test_a_target_that_did_not_start_says_why():
    broken = BenchResults([TargetResult("ours-2", failure="nginx is not installed")], 30.0)
    assert "nginx is not installed" in markdown(broken)


def test_write_creates_the_report_the_plot_and_the_json(tmp_path):
    report, image, figures = write(results(), tmp_path)
    assert report.read_text().startswith("# Load benchmark")
    assert image.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    data = json.loads(figures.read_text())
    ours = data["targets"][1]
    assert ours["name"] == "ours-2"
    assert ours["points"][1]["p95_ms"] == 250.0
    assert ours["points"][1]["by_channel"]["socketio"]["p95_ms"] == 280.0


def test_the_report_says_how_the_customers_were_paced():
    assert "closed loop without think time" in markdown(results())
    paced = results()
    paced.think_time = 2.0
    assert "2 s think time after each reply" in markdown(paced)
