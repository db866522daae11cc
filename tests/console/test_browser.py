"""The product documents' flows in a real browser: Debian's headless Chromium driven by Selenium
(SE_OFFLINE=true: the system chromedriver, nothing downloaded), with an axe accessibility scan of
every main page (no serious or critical violation). With CONSOLE_SCREENSHOTS=DIR it also saves the
screenshots of docs/console/."""

import os
import re
import shutil
import urllib.request

import pytest
from axe_selenium_python import Axe
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from conftest import cli, create_token

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
SHOTS = os.environ.get("CONSOLE_SCREENSHOTS")

pytestmark = pytest.mark.skipif(not os.path.exists(CHROMEDRIVER), reason="chromium-driver is not installed")


@pytest.fixture
def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1360,900",
                     "--disable-gpu", "--no-first-run", "--lang=en-US"]:
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    driver.implicitly_wait(2)
    yield driver
    driver.quit()


def verify(console, secret, scopes="", times=1):
    for _ in range(times):
        request = urllib.request.Request(console.base + "/verify", headers={"Authorization": "Bearer " + secret,
                                                                           "X-Required-Scopes": scopes})
        try:
            urllib.request.urlopen(request).read()
        except urllib.error.HTTPError:
            pass


def accessible(driver, page):
    """Runs axe on the current page: no serious or critical violation."""
    axe = Axe(driver)
    axe.inject()
    results = axe.run()
    bad = [f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
           for v in results["violations"] if v["impact"] in ("serious", "critical")]
    assert not bad, f"{page}: {bad}"


def notice(driver):
    """The one-time notice of the page (after an action and its redirect)."""
    found = driver.find_elements(By.CSS_SELECTOR, ".notice")
    assert found, f"no notice on {driver.current_url}: {driver.find_element(By.TAG_NAME, 'main').text[:300]}"
    return found[0].text


def shot(driver, name, at=None):
    """Saves the page, from the top or from the element `at`, as docs/console/NAME.png."""
    if SHOTS:
        os.makedirs(SHOTS, exist_ok=True)
        if at is None:
            driver.execute_script("window.scrollTo(0, 0)")
        else:
            driver.execute_script("arguments[0].scrollIntoView(true)", at)
        driver.save_screenshot(os.path.join(SHOTS, name + ".png"))


def navigate(driver, element):
    """Clicks a link or a submit button and waits until the next page has replaced this one."""
    page = driver.find_element(By.TAG_NAME, "html")
    element.click()

    def replaced(_):
        try:
            page.is_enabled()
            return False
        except WebDriverException:  # stale, or (newer Chromium) "node does not belong to the document"
            return True

    WebDriverWait(driver, 15).until(replaced)


def click(driver, xpath):
    navigate(driver, driver.find_element(By.XPATH, xpath))


def open_menu_item(driver, token_name, label):
    row = driver.find_element(By.XPATH, f"//tr[th/a[normalize-space()='{token_name}']]")
    row.find_element(By.CSS_SELECTOR, "details.menu summary").click()
    navigate(driver, row.find_element(By.XPATH, f".//details//*[self::a or self::button][normalize-space()='{label}']"))


def seed(store, console):
    """A store that looks used: tokens of both kinds, in several states, with some traffic."""
    helpdesk, helpdesk_secret = create_token(store, "svcmgr", "helpdesk sync", "tickets:read assets:write", "service",
                                             "--expires", "90d", "--rate-limit", "600/min")
    laptop, laptop_secret = create_token(store, "alice", "alice laptop", "tickets:write", "personal", "--expires", "5d")
    create_token(store, "bob", "bob phone", "tickets:read", "personal", "--expires", "30d")
    old, _ = create_token(store, "svcmgr", "legacy import", "assets:write", "service")
    cli(store, "token", "deactivate", old)
    verify(console, helpdesk_secret, "tickets:read", times=12)
    verify(console, laptop_secret, "tickets:read", times=4)
    verify(console, laptop_secret, "users:write")
    return helpdesk


def test_seed_flows_end_to_end(browser, serve, store):
    console = serve("--as", "admin1")
    helpdesk = seed(store, console)
    driver = browser
    wait = WebDriverWait(driver, 10)
    driver.get(console.next_link())
    click(driver, "//button[normalize-space()='Sign in']")
    assert "Access tokens" in driver.title
    accessible(driver, "tokens list")
    shot(driver, "tokens")

    # Create: Add → name, kind, scopes, expiry → Generate; the secret once, with a copy button.
    click(driver, "//a[normalize-space()='Add token']")
    driver.find_element(By.ID, "name").send_keys("deploy bot")
    driver.find_element(By.ID, "kind-service").click()
    driver.find_element(By.CSS_SELECTOR, "input[name=scope][value='tickets:read']").click()
    driver.find_element(By.ID, "expires-90").click()
    accessible(driver, "create form")
    click(driver, "//button[normalize-space()='Generate token']")
    secret = driver.find_element(By.ID, "secret").get_attribute("value")
    assert re.fullmatch(r"tkas_[0-9A-Za-z]{38}", secret)
    assert "visible one time" in driver.page_source
    driver.find_element(By.XPATH, "//button[normalize-space()='Copy']").click()
    wait.until(lambda d: d.find_element(By.ID, "copy-status").text != "")
    assert driver.find_element(By.ID, "copy-status").text in ("Copied to the clipboard.", "Press Ctrl+C to copy.")
    accessible(driver, "secret page")
    shot(driver, "secret")
    # After a reload it is gone: the POST is not repeated, and no page shows it again.
    driver.get(driver.current_url)
    assert secret not in driver.page_source
    driver.refresh()
    assert secret not in driver.page_source
    verify(console, secret, "tickets:read", times=3)

    # Filter the list (the filters stay in the URL).
    driver.get(console.base + "/tokens")
    driver.find_element(By.ID, "f-name").send_keys("sync")
    click(driver, "//button[normalize-space()='Filter']")
    assert "name=sync" in driver.current_url
    names = [a.text for a in driver.find_elements(By.CSS_SELECTOR, "tbody th a")]
    assert names == ["helpdesk sync"]

    # The detail page and its chart.
    click(driver, "//a[normalize-space()='helpdesk sync']")
    chart = driver.find_element(By.CSS_SELECTOR, "figure.chart svg")
    assert len(chart.find_elements(By.CSS_SELECTOR, "rect.bar")) == 1
    assert "12 uses" in driver.find_element(By.CSS_SELECTOR, "figure.chart figcaption").text
    accessible(driver, "token detail")
    shot(driver, "detail")

    # Deactivate, with the product documents' confirmation.
    driver.get(console.base + "/tokens")
    open_menu_item(driver, "deploy bot", "Deactivate")
    assert "can be used only when its status is active" in driver.page_source
    assert driver.switch_to.active_element.text == "Cancel"
    click(driver, "//button[normalize-space()='Deactivate token']")
    assert "Token deactivated." in notice(driver)

    # Rotate, with a grace period; the new secret once.
    driver.get(console.base + "/tokens")
    open_menu_item(driver, "helpdesk sync", "Rotate")
    driver.find_element(By.ID, "grace-600000").click()
    click(driver, "//button[normalize-space()='Rotate token']")
    assert driver.find_element(By.TAG_NAME, "h1").text == "Token rotated"
    assert "keeps working for 10 minutes" in driver.page_source

    # Revoke: the button says "Revoke token", and focus does not start on it.
    driver.get(console.base + "/tokens")
    open_menu_item(driver, "deploy bot", "Revoke")
    focused = driver.switch_to.active_element
    assert focused.text == "Cancel" and focused.tag_name == "a"
    button = driver.find_element(By.CSS_SELECTOR, "form button[type=submit].danger")
    assert button.text == "Revoke token"
    accessible(driver, "revoke confirmation")
    shot(driver, "revoke")
    navigate(driver, button)
    assert "Token revoked." in notice(driver)

    # Delete: "cannot be undone".
    driver.get(console.base + "/tokens")
    open_menu_item(driver, "deploy bot", "Delete")
    assert "This cannot be undone" in driver.page_source
    click(driver, "//button[normalize-space()='Delete token']")
    assert "deleted" in notice(driver)
    assert "deploy bot" not in [a.text for a in driver.find_elements(By.CSS_SELECTOR, "tbody th a")]

    # The other pages.
    for path, name in [("/audit", "audit"), ("/report", "report"), ("/members", "members"), ("/catalog", "catalog")]:
        driver.get(console.base + path)
        accessible(driver, name)
        shot(driver, name)
    driver.get(console.base + "/audit?event=verify.denied")
    assert driver.find_elements(By.CSS_SELECTOR, "tr.refusal"), "refused verifications are visible"
    driver.get(console.base + f"/tokens/{helpdesk}")
    assert "Rotated to" in driver.page_source


def limit_field(driver, scope):
    """The "only on resources matching" field of the scope row for `scope`."""
    return driver.find_element(By.XPATH, f"//div[@class='grant'][.//input[@name='scope' and @value='{scope}']]//input[@name='limit']")


def test_create_a_token_scoped_to_a_project(browser, serve, store):
    console = serve("--as", "admin1")
    driver = browser
    driver.get(console.next_link())
    click(driver, "//button[normalize-space()='Sign in']")
    driver.get(console.base + "/tokens/new")
    driver.find_element(By.ID, "name").send_keys("jira sync p42")
    driver.find_element(By.ID, "kind-service").click()
    driver.find_element(By.CSS_SELECTOR, "input[name=scope][value='tickets:read']").click()
    driver.find_element(By.CSS_SELECTOR, "input[name=scope][value='assets:read']").click()
    limit_field(driver, "tickets:read").send_keys("project/42")
    accessible(driver, "create form with a pattern")
    shot(driver, "create", at=driver.find_element(By.ID, "kind-service"))

    # A pattern the core refuses: its message above the form, and everything typed still there.
    limit_field(driver, "tickets:read").clear()
    limit_field(driver, "tickets:read").send_keys("project//42")
    click(driver, "//button[normalize-space()='Generate token']")
    alert = driver.find_element(By.CSS_SELECTOR, ".problem[role=alert]")
    assert alert.is_displayed() and 'resource pattern of "tickets:read@project//42"' in alert.text
    assert limit_field(driver, "tickets:read").get_attribute("value") == "project//42"
    assert driver.find_element(By.CSS_SELECTOR, "input[name=scope][value='tickets:read']").is_selected()
    assert driver.find_element(By.ID, "name").get_attribute("value") == "jira sync p42"
    accessible(driver, "create form with an error")
    assert not driver.find_elements(By.ID, "secret")

    limit_field(driver, "tickets:read").clear()
    limit_field(driver, "tickets:read").send_keys("project/42")
    click(driver, "//button[normalize-space()='Generate token']")
    secret = driver.find_element(By.ID, "secret").get_attribute("value")
    grants = [code.text for code in driver.find_elements(By.XPATH, "//p[starts-with(normalize-space(), 'Grants:')]/code")]
    assert grants == ["assets:read", "tickets:read@project/42"]
    click(driver, "//a[normalize-space()='Done']")
    assert "tickets:read@project/42" in driver.find_element(By.CSS_SELECTOR, "dl.facts").text
    assert secret not in driver.page_source

    request = urllib.request.Request(console.base + "/verify", headers={"Authorization": "Bearer " + secret,
                                                                       "X-Required-Scopes": "tickets:read",
                                                                       "X-Resource": "project/42/tickets/7"})
    assert urllib.request.urlopen(request).status == 200
