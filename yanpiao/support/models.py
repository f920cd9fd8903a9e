"""The support app's records: help pages, tickets and their messages, ratings of a closed ticket,
surveys and their invitations and responses, suggestions with votes, comments and points.

What people write here (a ticket's messages, free-text answers, comments) may hold names or
phone numbers: it is encrypted at rest (:mod:`yanpiao.security.fields`) and never in the audit log.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yanpiao.feedback.models import ASPECTS, aspect_field
from yanpiao.security.fields import EncryptedModel, EncryptedTextField

USER = settings.AUTH_USER_MODEL


# --- help ----------------------------------------------------------------------------------------


class HelpPage(models.Model):
    """A FAQ answer or a guide, in Chinese and English, edited by staff."""

    class Section(models.TextChoices):
        FAQ = "faq", _("常见问题")
        GUIDE = "guide", _("使用指南")

    slug = models.SlugField(max_length=80, unique=True)
    section = models.CharField(max_length=8, choices=Section.choices)
    position = models.PositiveSmallIntegerField(default=0)
    title_zh = models.CharField(max_length=200)
    title_en = models.CharField(max_length=200)
    body_zh = models.TextField()
    body_en = models.TextField()
    published = models.BooleanField(default=True)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["section", "position", "slug"]

    def __str__(self):
        return self.slug


# --- tickets -------------------------------------------------------------------------------------


class Ticket(EncryptedModel):
    """A user's question, complaint, bug or suggestion, and the conversation with staff about it."""

    class Category(models.TextChoices):
        QUESTION = "question", _("咨询")
        COMPLAINT = "complaint", _("投诉")
        BUG = "bug", _("问题报告")
        SUGGESTION = "suggestion", _("建议")

    class Status(models.TextChoices):
        OPEN = "open", _("待回复")
        ANSWERED = "answered", _("已回复")
        CLOSED = "closed", _("已关闭")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    owner = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="tickets")
    category = models.CharField(max_length=12, choices=Category.choices)
    subject = EncryptedTextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    verification = models.ForeignKey(
        "verification.Verification", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assignee = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    # The first-response promise: staff answer before due_at (created_at + YANPIAO_TICKET_SLA_HOURS).
    due_at = models.DateTimeField()
    first_response_at = models.DateTimeField(null=True, blank=True)
    overdue_notified_at = models.DateTimeField(null=True, blank=True)  # the assignee was told, once
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "due_at"]), models.Index(fields=["owner", "created_at"])]

    def __str__(self):
        return f"ticket {self.public_id} ({self.status})"


class Message(EncryptedModel):
    """One message of a ticket's conversation; ``internal`` ones are staff notes the owner never sees."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    body = EncryptedTextField(blank=True, default="")
    internal = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"message {self.pk} of ticket {self.ticket_id}"


class Attachment(models.Model):
    """A screenshot or a voice note of a message, sealed with the fields keyset (its content is the
    user's: it may show anything)."""

    class Kind(models.TextChoices):
        IMAGE = "image", _("截图")
        AUDIO = "audio", _("语音")

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    content_type = models.CharField(max_length=60)
    size = models.PositiveIntegerField()
    sealed = models.BinaryField()
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"{self.kind} of message {self.message_id}"


class CannedAnswer(models.Model):
    """A prepared answer staff start a reply from."""

    title = models.CharField(max_length=100)
    body = models.TextField()
    created_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return self.title


class TicketRating(EncryptedModel):
    """How the owner rates the service of a closed ticket, 1–5 per aspect, perhaps with a comment."""

    ticket = models.OneToOneField(Ticket, on_delete=models.CASCADE, related_name="rating")
    speed = aspect_field("speed")
    accuracy = aspect_field("accuracy")
    ease_of_use = aspect_field("ease_of_use")
    service = aspect_field("service")
    comment = EncryptedTextField(blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"rating of ticket {self.ticket_id}"


assert tuple(ASPECTS) == ("speed", "accuracy", "ease_of_use", "service")


# --- surveys -------------------------------------------------------------------------------------


class Survey(models.Model):
    """A questionnaire staff send to an audience: everyone, one organisation, or those active in a period."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        SENT = "sent", _("已发送")
        CLOSED = "closed", _("已结束")

    class Audience(models.TextChoices):
        ALL = "all", _("全部用户")
        ORGANISATION = "organisation", _("某个单位")
        ACTIVE = "active", _("某段时间内活跃的用户")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    title = models.CharField(max_length=200)
    introduction = models.TextField(blank=True, default="")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.DRAFT)
    audience = models.CharField(max_length=12, choices=Audience.choices, default=Audience.ALL)
    organisation = models.ForeignKey(
        "accounts.Organisation", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    active_from = models.DateField(null=True, blank=True)
    active_until = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return self.title


class Question(models.Model):
    class Kind(models.TextChoices):
        SINGLE = "single", _("单选")
        MULTIPLE = "multiple", _("多选")
        RATING = "rating", _("评分")
        TEXT = "text", _("文字")

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=8, choices=Kind.choices)
    text = models.CharField(max_length=300)
    choices = models.JSONField(default=list)  # the options of a single or multiple choice
    required = models.BooleanField(default=True)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "position"], name="support_question_position")
        ]

    def __str__(self):
        return f"{self.survey_id}#{self.position}"


class Invitation(models.Model):
    """One invitee of a survey: the link's token is kept as its digest; one response at most."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="invitations")
    user = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="+")
    token_digest = models.CharField(max_length=64, unique=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    texted_at = models.DateTimeField(null=True, blank=True)
    responded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["survey", "user"], name="support_invitation_once")]

    def __str__(self):
        return f"invitation of {self.user_id} to survey {self.survey_id}"


class Response(EncryptedModel):
    """An invitee's answers (``{question position: answer}``), encrypted: free text may say anything."""

    invitation = models.OneToOneField(Invitation, on_delete=models.CASCADE, related_name="response")
    answers = EncryptedTextField()  # JSON
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"response to invitation {self.invitation_id}"


class SurveyOptOut(models.Model):
    """A user who unsubscribed from surveys: never invited again."""

    user = models.OneToOneField(USER, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"opt-out of {self.user_id}"


# --- suggestions ---------------------------------------------------------------------------------


class Suggestion(models.Model):
    """An improvement proposed on the board, voted and commented on by users and staff."""

    class Status(models.TextChoices):
        NEW = "new", _("新提交")
        UNDER_REVIEW = "under_review", _("评估中")
        PLANNED = "planned", _("已计划")
        DONE = "done", _("已完成")
        DECLINED = "declined", _("未采纳")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    author = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    title = models.CharField(max_length=120)
    body = models.TextField(max_length=4000)
    status = models.CharField(max_length=14, choices=Status.choices, default=Status.NEW)
    votes = models.PositiveIntegerField(default=0)  # kept with the Vote rows, in one transaction
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["status", "votes"])]

    def __str__(self):
        return self.title


class Vote(models.Model):
    suggestion = models.ForeignKey(Suggestion, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["suggestion", "user"], name="support_vote_once")]

    def __str__(self):
        return f"vote of {self.user_id} for {self.suggestion_id}"


class Comment(EncryptedModel):
    suggestion = models.ForeignKey(Suggestion, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    body = EncryptedTextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"comment {self.pk} on {self.suggestion_id}"


class PointsAward(models.Model):
    """Points staff award to a suggestion's author when it is accepted; the leaderboard sums them."""

    user = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="+")
    suggestion = models.ForeignKey(Suggestion, on_delete=models.CASCADE, related_name="awards")
    points = models.PositiveIntegerField()
    awarded_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"{self.points} points to {self.user_id}"
