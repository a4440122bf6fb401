"""``--junit PATH``: one JUnit testcase per expectation, so any CI lists them by name.

    <testsuites name="ctsim" tests= failures=>
      <testsuite name="ctsim.<scenario>" tests= failures= errors="0" skipped="0" time=>
        <properties> scenario, seed, verdict, pipeline_sha256, run_dir, audit (when audited) </properties>
        <testcase classname="ctsim.<scenario>" name="<expectation>" time="0">
          <failure message="<observed>" type="ExpectationFailed">observed</failure>   (only when it failed)
          <system-out>observed</system-out>
        </testcase>

``time`` of the suite is the pipeline's total wall time; an expectation itself takes no time to check.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from ctsim.report.record import RunRecord


def junit_xml(record: RunRecord) -> str:
    """The JUnit document as text. ``record`` should already be redacted."""
    verdict, timeline = record.verdict, record.timeline
    failures = sum(not r.passed for r in verdict.results)
    tests = len(verdict.results)
    seconds = sum(run.get("seconds") or 0.0 for run in timeline.runs)
    root = ET.Element(
        "testsuites", name="ctsim", tests=str(tests), failures=str(failures), errors="0", time=f"{seconds:.3f}"
    )
    suite = ET.SubElement(
        root,
        "testsuite",
        name=f"ctsim.{timeline.scenario}",
        tests=str(tests),
        failures=str(failures),
        errors="0",
        skipped="0",
        time=f"{seconds:.3f}",
    )
    properties = ET.SubElement(suite, "properties")
    props = {
        "scenario": timeline.scenario,
        "seed": str(timeline.seed),
        "verdict": "passed" if verdict.passed else "failed",
        "pipeline_sha256": record.pipeline_sha256,
        "run_dir": record.run_dir,
    }
    if record.audit is not None:
        props["audit"] = "ok" if record.audit.get("ok") else "failed"
    for name, value in props.items():
        ET.SubElement(properties, "property", name=name, value=value)
    for result in verdict.results:
        case = ET.SubElement(suite, "testcase", classname=f"ctsim.{timeline.scenario}", name=result.name, time="0")
        if not result.passed:
            failure = ET.SubElement(case, "failure", message=result.detail, type="ExpectationFailed")
            failure.text = f"expected: {result.name}\nobserved: {result.detail}"
        ET.SubElement(case, "system-out").text = result.detail
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
