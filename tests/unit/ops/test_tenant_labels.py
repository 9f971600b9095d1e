"""Bounded tenant labels: the top-N tenants by recent volume by name, the rest `other`."""

from __future__ import annotations

from workers.metrics.tenants import OTHER, BoundedValues, TenantLabels


def feed(labels: TenantLabels, tenant: str, n: int) -> str:
    return [labels.label(tenant) for _ in range(n)][-1]


def test_first_n_tenants_are_named_the_rest_are_other() -> None:
    labels = TenantLabels(2)
    assert feed(labels, "a", 1) == "a"
    assert feed(labels, "b", 1) == "b"
    assert feed(labels, "c", 1) == OTHER
    assert labels.labelled == {"a", "b"}


def test_missing_odd_or_reserved_tenant_ids_are_other() -> None:
    labels = TenantLabels(10)
    for tenant in (None, "", "other", "x" * 65, 'bad"label', "new\nline"):
        assert labels.label(tenant) == OTHER
    assert labels.labelled == frozenset()


def test_a_clearly_busier_tenant_takes_the_quietest_label_and_evicts_it() -> None:
    evicted: list[str] = []
    labels = TenantLabels(2, on_evict=evicted.append)
    feed(labels, "a", 100)
    feed(labels, "b", 10)
    assert feed(labels, "c", 50) == OTHER
    assert labels.rerank() == ["b"] and evicted == ["b"]
    assert labels.labelled == {"a", "c"}
    assert labels.label("c") == "c" and labels.label("b") == OTHER


def test_similar_volumes_do_not_swap_labels() -> None:
    labels = TenantLabels(1)
    feed(labels, "a", 100)
    feed(labels, "b", 110)  # busier, but not by the margin
    assert labels.rerank() == []
    assert labels.labelled == {"a"}


def test_volumes_decay_so_recent_activity_wins() -> None:
    labels = TenantLabels(1)
    feed(labels, "a", 100)
    for _ in range(5):  # a goes quiet: 100 -> ~3
        labels.rerank()
    feed(labels, "b", 10)
    assert labels.rerank() == ["a"] and labels.labelled == {"b"}


def test_quiet_unlabelled_tenants_are_forgotten() -> None:
    labels = TenantLabels(1)
    feed(labels, "a", 5)
    for i in range(1000):
        labels.label(f"t{i}")
    assert labels.tracked == 1001
    labels.rerank()
    labels.rerank()  # seen once, two re-ranks ago: forgotten
    assert labels.tracked == 1  # only the labelled tenant is kept


def test_zero_labels_means_everyone_is_other() -> None:
    assert TenantLabels(0).label("a") == OTHER


def test_bounded_values_keep_the_first_few_names() -> None:
    values = BoundedValues(3, frozenset({"ingestion"}))
    assert [values(v) for v in ("ingestion", "memory", "x", "y", "memory", None)] == [
        "ingestion", "memory", "x", OTHER, "memory", OTHER]
