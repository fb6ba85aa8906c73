"""The selection page's hierarchy: one order, what "Coming soon" means, what is shared, and where to
go when your software isn't listed. (The filter box at work: tests/e2e/test_selection_page_browser.py.)"""

import re
from html import unescape

import pytest

pytestmark = pytest.mark.django_db


def page_html(client) -> str:
    response = client.get("/")
    assert response.status_code == 200
    return unescape(response.content.decode())


def tile(html: str, name: str) -> str:
    start = html.index(f'<h2 class="tile__name">{name}</h2>')
    return html[start:html.index("</li>", start)]


def test_one_order_everything_linkable_a_to_z_then_coming_soon(merchant_client, warm_cache):
    names = re.findall(r'<h2 class="tile__name">([^<]+)</h2>', page_html(merchant_client))
    # Beta no longer sends Exact (UK) to the back, past Xero: it sits beside Exact (NL).
    assert names.index("Exact (UK)") == names.index("Exact (NL)") + 1 < names.index("Xero")
    assert names[-1] == "Sage Business Cloud Accounting"
    assert names[:-1] == sorted(names[:-1], key=str.casefold)


def test_beta_keeps_its_badge_in_its_alphabetical_place(merchant_client, warm_cache):
    html = page_html(merchant_client)
    assert '<span class="badge badge--beta">Beta</span>' in tile(html, "Exact (UK)")
    assert "badge--beta" not in tile(html, "Exact (NL)")


def test_coming_soon_says_what_it_means_and_offers_no_button(merchant_client, warm_cache):
    sage = tile(page_html(merchant_client), "Sage Business Cloud Accounting")
    assert '<span class="badge badge--soon">Coming soon</span>' in sage
    assert "Not available yet: you can’t connect it from here today." in sage
    assert "<form" not in sage and "<button" not in sage


def test_says_in_one_line_what_is_shared_without_a_privacy_link_when_none_is_set(merchant_client, warm_cache):
    html = page_html(merchant_client)
    assert re.search(
        r'<p class="data-shared">When you connect, Sandbox POS sends Bean & Leaf’s sales, payments and fees to your '
        r"accounting software through Codat, and Codat reads your chart of accounts and tax rates to set this up\.</p>",
        html,
    )
    assert "Privacy notice" not in html


def test_links_the_privacy_notice_when_privacy_url_is_set(merchant_client, warm_cache, settings):
    settings.PRIVACY_URL = "https://pos.example/privacy"
    html = page_html(merchant_client)
    line = re.search(r'<p class="data-shared">.*?</p>', html).group(0)
    assert line.endswith('to set this up. <a href="https://pos.example/privacy">Privacy notice</a></p>')


def test_my_software_isnt_listed_points_to_support(merchant_client, warm_cache, settings):
    settings.SUPPORT_EMAIL = "help@pos.example"
    html = page_html(merchant_client)
    section = html[html.index('<section class="not-listed" id="not-listed"'):]
    section = section[: section.index("</section>")]
    assert '<h2 id="not-listed-heading">My accounting software isn’t listed</h2>' in section
    assert "Sandbox POS can only send sales to the accounting software listed here" in section
    assert 'Ask Sandbox POS support at <a href="mailto:help@pos.example">help@pos.example</a> whether yours is planned' in section
    # after every tile
    assert html.index('id="not-listed"') > html.index("Sage Business Cloud Accounting</h2>")


def test_not_listed_without_support_settings_says_the_pos_provider(merchant_client, warm_cache):
    assert "Ask your POS provider whether yours is planned" in page_html(merchant_client)


def test_the_filter_box_is_labelled_controls_the_list_and_waits_hidden_for_javascript(merchant_client, warm_cache):
    html = page_html(merchant_client)
    box = re.search(r'<div class="tile-filter" role="search" data-tile-filter hidden>.*?</div>', html, re.S).group(0)
    assert '<label for="tile-filter">Find your accounting software</label>' in box
    assert '<input type="search" id="tile-filter" class="tile-filter__input" aria-controls="tiles"' in box
    assert 'role="status"' in box  # in the page from the start, so that screen readers hear it change
    assert html.index("data-tile-filter") < html.index('<ul class="tiles" id="tiles" role="list">')


def test_staff_assisting_see_the_same_page(staff_client, merchant, warm_cache):
    html = unescape(staff_client.get(f"/staff/merchants/{merchant.pk}/link/").content.decode())
    assert "data-tile-filter hidden" in html
    assert "Not available yet: you can’t connect it from here today." in html
    assert "My accounting software isn’t listed" in html
    assert "When you connect, Sandbox POS sends Bean & Leaf’s sales, payments and fees" in html
