"""API contracts for citizen intake: strict, so nothing is dropped or guessed silently."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal, Self

from pydantic import AfterValidator, Field, StringConstraints, model_validator

from styr_deviations.cases.schemas import ContactIn
from styr_deviations.config import FeedbackType
from styr_deviations.text import Code, Day, printable
from styr_shared.schemas import StrictModel

Message = Annotated[
    str, StringConstraints(min_length=3, max_length=5000), AfterValidator(printable)
]


class PublicFeedback(StrictModel):
    """A citizen's feedback or complaint. Unknown fields are refused (422), never ignored."""

    kind: Literal["feedback", "complaint"] = Field(
        "feedback", description="`feedback` (synpunkt, incl. praise) or `complaint` (klagomål)."
    )
    feedback_type: FeedbackType | None = None
    category: Code | None = Field(
        None, description="A feedback category of the municipality (of the event's year)."
    )
    org_unit_id: Code | None = Field(None, description="The unit concerned, if known.")
    event_date: Day | None = None
    message: Message
    anonymous: bool = False
    contact: ContactIn | None = Field(
        None, description="How to answer you; required unless anonymous, refused if anonymous."
    )

    @model_validator(mode="after")
    def _contact_rules(self) -> Self:
        if self.anonymous and self.contact is not None:
            raise ValueError("an anonymous submission cannot carry contact details")
        if not self.anonymous and (
            self.contact is None or not (self.contact.email or self.contact.phone)
        ):
            raise ValueError("give an e-mail address or phone number, or submit anonymously")
        if self.kind == "complaint" and self.feedback_type is not None:
            raise ValueError("feedback_type only applies to feedback")
        return self


class Receipt(StrictModel):
    reference_number: str = Field(description="Quote it when you contact us.")
    receipt_id: str
    received_at: datetime
    kind: str
    anonymous: bool
    answer_due: date | None = Field(description="When you will have had an answer at the latest.")
    message: str
