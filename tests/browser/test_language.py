"""The language switch: English everywhere once chosen (invoice data aside), Chinese again when switched back."""

import pytest

pytestmark = pytest.mark.django_db(transaction=True)

# Text a visitor reads (text nodes shown on screen, the title, labels for assistive technology and
# placeholders) that holds a Chinese character, outside what is invoice data or marked as Chinese:
# values ([data-value]), the cells of the registered invoice (.invoice td: names, items, amounts in
# words; its headings and labels are checked), and elements whose lang is Chinese (the switch
# back to 中文 names its language in that language).
CHINESE_ON_SCREEN = r"""() => {
  const cjk = /[\u3400-\u9fff]/;
  const data = '[data-value], .invoice td, [lang^="zh"], script, style, template, noscript';
  const found = [];
  if (cjk.test(document.title)) found.push("title: " + document.title);
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const text = walker.currentNode.textContent, element = walker.currentNode.parentElement;
    if (cjk.test(text) && !element.closest(data) && element.checkVisibility()) {
      found.push(element.tagName.toLowerCase() + ": " + text.trim());
    }
  }
  for (const option of document.body.querySelectorAll("select option")) {
    if (cjk.test(option.text) && !option.closest(data) && option.parentElement.closest("select").checkVisibility()) {
      found.push("option: " + option.text);
    }
  }
  for (const element of document.body.querySelectorAll("[aria-label], [placeholder], [alt], [title]")) {
    for (const name of ["aria-label", "placeholder", "alt", "title"]) {
      const value = element.getAttribute(name);
      if (value && cjk.test(value) && !element.closest(data)) {
        found.push(element.tagName.toLowerCase() + "[" + name + "]: " + value);
      }
    }
  }
  return found;
}"""


def language(page) -> str:
    return page.locator("html").get_attribute("lang")


def test_english_is_chosen_once_and_shown_on_every_page_until_switched_back(context, page, sign_in, scene):
    sign_in(context, scene.taxpayer)
    page.goto("/")
    assert language(page) == "zh-Hans"

    page.locator('[data-language="en"]').click()
    page.locator("html[lang=en]").wait_for(state="attached")
    chinese = []
    for path in ("/", f"/verifications/{scene.verification_id}/", "/history/"):
        page.goto(path)
        assert language(page) == "en", path
        chinese += [f"{path}  {text}" for text in page.evaluate(CHINESE_ON_SCREEN)]

    page.locator('[data-language="zh-hans"]').click()
    page.locator('html[lang="zh-Hans"]').wait_for(state="attached")
    page.goto("/history/")
    assert language(page) == "zh-Hans"
    if chinese:
        pytest.fail("Chinese on the English pages:\n" + "\n".join(chinese), pytrace=False)
