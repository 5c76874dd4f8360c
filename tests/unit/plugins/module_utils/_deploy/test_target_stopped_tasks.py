"""Target.stopped_tasks, the green watch's read of a service's stopped tasks: every page of ListTasks (a crash loop
stops more than a page's worth, and the newest need not be on the first), each task described once per run."""

from __future__ import annotations

import time
from typing import Any

from ansible_collections.cutover.ecs.plugins.module_utils._deploy.target import Target
from ansible_collections.cutover.ecs.plugins.module_utils._module import Context


class PagedEcs:
    """ListTasks in pages of 100 (the API's most), DescribeTasks of at most 100; records both."""

    def __init__(self, arns: list) -> None:
        self.arns = list(arns)
        self.described: list = []
        self.pages: list = []

    def get_paginator(self, operation: str) -> Any:
        assert operation == "list_tasks"
        client = self

        class Paginator:
            def paginate(self, **params: Any) -> list:
                assert params == {"cluster": "shop", "serviceName": "web", "desiredStatus": "STOPPED"}
                pages = [{"taskArns": client.arns[start : start + 100]} for start in range(0, len(client.arns), 100)] or [{"taskArns": []}]
                client.pages.append(len(pages))
                return pages

        return Paginator()

    def describe_tasks(self, cluster: str, tasks: list) -> dict:
        assert cluster == "shop" and len(tasks) <= 100
        self.described.append(list(tasks))
        return {"tasks": [{"taskArn": arn, "stoppedReason": f"reason of {arn}"} for arn in tasks]}


def target(ecs: PagedEcs) -> Target:
    context = Context(client=lambda service: ecs)
    return Target(context=context, options={"cluster": "shop"}, service={"serviceName": "web"}, strategy="ecs", task_definition=None, started=time.monotonic())


def test_every_page_is_read_and_each_task_described_once() -> None:
    ecs = PagedEcs([f"arn:task/{n}" for n in range(250)])
    run = target(ecs)
    first = run.stopped_tasks()
    assert [t["taskArn"] for t in first] == ecs.arns
    assert ecs.pages == [3] and [len(chunk) for chunk in ecs.described] == [100, 100, 50]
    # two more tasks stopped since: only they are described at the next poll
    ecs.arns = ["arn:task/new-1", "arn:task/new-2"] + ecs.arns
    second = run.stopped_tasks()
    assert [t["taskArn"] for t in second[:2]] == ["arn:task/new-1", "arn:task/new-2"] and len(second) == 252
    assert ecs.described[-1] == ["arn:task/new-1", "arn:task/new-2"] and len(ecs.described) == 4
    assert second[0]["stoppedReason"] == "reason of arn:task/new-1"


def test_a_task_no_longer_listed_is_not_returned_and_none_is_described_for_an_empty_list() -> None:
    ecs = PagedEcs(["arn:task/a", "arn:task/b"])
    run = target(ecs)
    run.stopped_tasks()
    ecs.arns = ["arn:task/b"]
    assert [t["taskArn"] for t in run.stopped_tasks()] == ["arn:task/b"]
    empty = PagedEcs([])
    assert target(empty).stopped_tasks() == [] and empty.described == []
