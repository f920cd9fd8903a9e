"""The scheduled retraining: queued by the worker when the active model is old, and not otherwise."""

import datetime

from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from tests import factories
from yanpiao.risk import learning, tasks
from yanpiao.risk.models import ModelVersion

SMALL = {"n_estimators": 10, "max_samples": 16, "random_state": 1}


def queued():
    return DBTaskResult.objects.filter(task_path=tasks.retrain.module_path)


def test_nothing_is_due_on_an_empty_registry(db):
    assert not tasks.due() and not tasks.schedule() and not queued().exists()


def test_a_registry_without_a_model_gets_one_retraining_queued_on_the_default_queue(register):
    register()
    assert tasks.due()
    assert tasks.schedule() and queued().get().queue_name == "default"
    assert not tasks.schedule()  # one waiting is enough
    assert queued().count() == 1


def test_the_task_trains_a_new_active_version(register):
    register()
    assert tasks.retrain.call() == 1
    assert learning.active().version == 1 and not tasks.due()


def test_a_fresh_model_is_not_retrained_and_an_old_one_is(register, settings):
    register(factories.invoice())
    learning.train(chosen=SMALL)
    assert not tasks.schedule()
    settings.YANPIAO_RISK_RETRAIN_HOURS = 24
    later = timezone.now() + datetime.timedelta(hours=23)
    assert not tasks.due(later)
    ModelVersion.objects.update(trained_at=timezone.now() - datetime.timedelta(hours=25))
    assert tasks.due() and tasks.schedule()
    assert queued().count() == 1


def test_a_retraining_left_running_by_a_killed_worker_does_not_block_the_next_for_ever(register):
    register()
    tasks.schedule()
    queued().update(status=TaskResultStatus.RUNNING, started_at=timezone.now())
    assert tasks.waiting() and not tasks.schedule()
    queued().update(started_at=timezone.now() - datetime.timedelta(hours=2))
    assert not tasks.waiting() and tasks.schedule()


def test_a_worker_looking_around_queues_the_retraining_once(register):
    """The worker's periodic look (``YANPIAO_PERIODIC_TASKS``) queues what is due, once."""
    from yanpiao.batches.management.commands import worker

    register(type="01")
    worker._rescue()
    worker._rescue()
    queued = DBTaskResult.objects.filter(task_path=tasks.retrain.module_path, status=TaskResultStatus.READY)
    assert queued.count() == 1
