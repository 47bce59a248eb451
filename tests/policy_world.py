"""A small privacy policy written for the yes/no tests (issue #33): each practice stated once,
plainly, beside others that share its words, so that "Do you sell my personal information?"
has one sentence that settles it and several that merely mention personal information."""

from __future__ import annotations

from pathlib import Path

from index import Embedder, build_index
from service.settings import Settings
from service.state import AppState, IndexHolder

POLICY = """\
# Privacy policy of an online shop

## Information we collect

We collect the personal information you give us when you create an account, such as your \
name, email address and postal address. We also collect information about how you use our \
website through cookies.

## How we use your information

We use your personal information to process your orders and to deliver them. We use your \
email address to send you order confirmations and receipts.

## Sharing and sale of information

We do not sell your personal information to third parties. We share your contact information \
with delivery companies only when it is needed to deliver your order. Our payment processor \
receives your card details to complete a purchase.

## Marketing emails

We send marketing emails about new products and seasonal offers. You can opt out of marketing \
emails at any time by clicking the unsubscribe link in any of them.

## Your rights

You may ask us to delete your account and the personal information we hold about you. We keep \
order records for seven years because tax law requires it.

## Children

Our website is not directed at children under 13, and we do not knowingly collect their \
information.
"""


def policy_state(root: Path, embedder: Embedder, model_cache: Path) -> AppState:
    """A server's state over the policy alone, in ``root``."""
    corpus = root / "corpus"
    corpus.mkdir(parents=True)
    (corpus / "shop-privacy-policy.md").write_text(POLICY, encoding="utf-8")
    settings = Settings(
        corpus_dir=corpus,
        index_dir=root / "index",
        model_cache_dir=model_cache,
        reload_check_seconds=0,
        admin_token="test-token",
        rate_limit_per_minute=0,
    )
    build_index(settings.corpus_dir, settings.index_dir, embedder)
    holder = IndexHolder(settings, embedder)
    holder.load(build_if_missing=False)
    return AppState(settings, embedder, holder)
