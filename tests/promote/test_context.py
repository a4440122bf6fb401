"""promote never targets a cluster it was not explicitly pointed at."""

import os

import pytest

from ctsim.errors import ClusterError
from ctsim.promote.context import KubeConfig, check_target, read_kubeconfig

KIND = KubeConfig("kind-ctsim", ("kind-ctsim", "prod-eu"), "test")
PROD = KubeConfig("prod-eu", ("kind-ctsim", "prod-eu"), "test")


def test_a_kind_current_context_is_a_target():
    assert check_target(KIND, None, host_given=False).context == "kind-ctsim"


def test_a_non_kind_current_context_is_refused_and_the_message_says_how_to_allow_it():
    with pytest.raises(ClusterError, match=r"not a kind context.*--context prod-eu"):
        check_target(PROD, None, host_given=True)


def test_naming_a_context_explicitly_allows_it():
    assert check_target(PROD, "prod-eu", host_given=False).context == "prod-eu"


def test_naming_a_context_that_does_not_exist_is_refused():
    with pytest.raises(ClusterError, match="'staging' not found"):
        check_target(PROD, "staging", host_given=False)


def test_no_kubeconfig_is_fine_with_an_explicit_host_only():
    assert check_target(None, None, host_given=True).context is None
    with pytest.raises(ClusterError, match="pass --host"):
        check_target(None, None, host_given=False)


def test_reader_merges_kubeconfig_files_like_kubectl(tmp_path, kubeconfig_writer):
    first = kubeconfig_writer(tmp_path / "a", "kind-ctsim", ["kind-ctsim"])
    second = kubeconfig_writer(tmp_path / "b", "prod-eu", ["prod-eu"])
    kube = read_kubeconfig({"KUBECONFIG": os.pathsep.join([str(first), str(tmp_path / "missing"), str(second)])})
    assert kube.current == "kind-ctsim"  # the first file that sets it wins
    assert kube.contexts == ("kind-ctsim", "prod-eu")


def test_reader_without_any_kubeconfig_returns_none(tmp_path):
    assert read_kubeconfig({"KUBECONFIG": str(tmp_path / "missing")}) is None


def test_reader_reports_a_broken_kubeconfig_in_one_line(tmp_path):
    broken = tmp_path / "config"
    broken.write_text("contexts: [unclosed\n")
    with pytest.raises(ClusterError, match="cannot read kubeconfig") as caught:
        read_kubeconfig({"KUBECONFIG": str(broken)})
    assert "\n" not in str(caught.value)
