"""Thin helpers over a Selenium driver, in the user's vocabulary (shared by the e2e modules)."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import ARTIFACTS, IMPLICIT_WAIT
from tests.factories import mailed_path

PASSWORD = "a long e2e password"


class Page:
    """Thin helpers over a Selenium driver, in the user's vocabulary."""

    def __init__(self, driver: Any, base_url: str, app: Any = None) -> None:
        # ``app``: the live server's app, whose outbox holds the mails (sign-up confirmation).
        self.driver, self.base_url, self.app = driver, base_url, app

    def open(self, path: str) -> None:
        self.driver.get(self.base_url + path)

    def fill(self, name: str, value: str) -> None:
        field = self.driver.find_element("name", name)
        field.clear()
        field.send_keys(value)

    def select(self, name: str, value: str) -> None:
        from selenium.webdriver.support.ui import Select

        Select(self.driver.find_element("name", name)).select_by_value(value)

    def check(self, name: str, value: str | None = None) -> None:
        selector = f"input[name='{name}']" + (f"[value='{value}']" if value else "")
        box = self.driver.find_element("css selector", selector)
        if not box.is_selected():
            box.click()

    def press(self, text: str) -> None:
        # One query for both: each ``find_elements`` that matches nothing waits the driver's
        # whole implicit wait first.
        candidates = self.driver.find_elements(
            "xpath", f"//button[normalize-space()='{text}'] | //a[normalize-space()='{text}']"
        )
        visible = [element for element in candidates if element.is_displayed()]
        visible.sort(key=lambda element: element.tag_name != "button")  # a form's button first
        assert visible, f"no button or link {text!r} on {self.driver.current_url}"
        self._click_and_wait(visible[0])

    def press_containing(self, text: str) -> None:
        elements = self.driver.find_elements(
            "xpath", f"//main//*[self::button or self::a][contains(normalize-space(), '{text}')]"
        )
        visible = [element for element in elements if element.is_displayed()]
        assert visible, f"nothing like {text!r} on {self.driver.current_url}"
        self._click_and_wait(visible[0])

    def _now(self, find: Any) -> Any:
        """``find`` without the implicit wait: for what may rightly be absent from a page
        that has loaded (an empty answer would otherwise cost the whole wait)."""
        self.driver.implicitly_wait(0)
        try:
            return find()
        finally:
            self.driver.implicitly_wait(IMPLICIT_WAIT)

    def _click_and_wait(self, element: Any) -> None:
        """Click, then wait for the next page: reading too early would see the old one."""
        from selenium.common.exceptions import WebDriverException
        from selenium.webdriver.support.ui import WebDriverWait

        old_page = self.driver.find_element("tag name", "html")
        confirms = self._now(
            lambda: element.find_elements("xpath", "./ancestor::form[@data-confirm]")
        )
        element.click()
        if confirms:  # a confirmation step (static/js/nav.js): the user says yes
            from selenium.webdriver.support import expected_conditions

            WebDriverWait(self.driver, 5).until(expected_conditions.alert_is_present())
            self.driver.switch_to.alert.accept()

        def left_old_page(_driver: Any) -> bool:
            try:
                old_page.is_enabled()  # raises once the old document is gone
            except WebDriverException:
                return True
            return False

        WebDriverWait(self.driver, 15).until(left_old_page)

    # --- the Stripe.js card field (the emulator's Element: plain inputs in #card-element) ----

    def type_card(self, number: str, month: str = "12", year: str = "34", cvc: str = "123") -> None:
        from selenium.webdriver.support.ui import WebDriverWait

        def field(name: str) -> Any:
            selector = f"#card-element input[data-stripe-field='{name}']"
            return WebDriverWait(self.driver, 10).until(
                lambda d: d.find_element("css selector", selector)
            )

        for name, value in (("number", number), ("exp_month", month), ("exp_year", year)):
            field(name).clear()
            field(name).send_keys(value)
        field("cvc").clear()
        field("cvc").send_keys(cvc)

    def pay(self) -> None:
        """Press the checkout's Pay button and wait for the page the payment lands on."""
        self._click_and_wait(self._pay_button())

    def start_paying(self, *, double_click: bool = False) -> None:
        """Press Pay (twice, quickly, if asked) without waiting: 3-D Secure or an inline
        error keeps the browser on this page."""
        button = self._pay_button()
        if double_click:
            from selenium.webdriver import ActionChains

            ActionChains(self.driver).double_click(button).perform()
        else:
            button.click()

    def _pay_button(self) -> Any:
        from selenium.webdriver.support.ui import WebDriverWait

        return WebDriverWait(self.driver, 10).until(
            lambda d: (b := d.find_element("id", "pay-button")).is_enabled() and b
        )

    def answer_three_d_secure(self, complete: bool) -> None:
        """The 3-D Secure challenge: complete it (the browser then lands on the next page) or
        fail it (the page stays, with the error under the card field)."""
        from selenium.webdriver.support.ui import WebDriverWait

        label = "Complete authentication" if complete else "Fail authentication"
        button = WebDriverWait(self.driver, 10).until(
            lambda d: d.find_element("xpath", f"//button[normalize-space()='{label}']")
        )
        if complete:
            self._click_and_wait(button)
        else:
            button.click()

    def card_error(self) -> str:
        """The inline error under the card field, once there is one."""
        from selenium.webdriver.support.ui import WebDriverWait

        return str(
            WebDriverWait(self.driver, 15).until(
                lambda d: (
                    d.find_element("id", "card-errors").text.strip()
                    and d.find_element("id", "pay-button").is_enabled()
                    and d.find_element("id", "card-errors").text.strip()
                )
            )
        )

    @property
    def text(self) -> str:
        return self.driver.find_element("tag name", "body").text

    @property
    def path(self) -> str:
        return self.driver.current_url.removeprefix(self.base_url)

    def screenshot(self, name: str) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.driver.save_screenshot(str(ARTIFACTS / f"{name}.png"))

    def sign_up(self, email: str, name: str, *, creator: bool, business: bool) -> None:
        self.driver.delete_all_cookies()
        self.open("/register")
        self.fill("email", email)
        self.fill("display_name", name)
        self.fill("password", PASSWORD)
        if creator:
            self.check("as_creator")
        if business:
            self.check("as_business")
        self.press("Create account")
        assert "Check your email" in self.text, self.text[:300]
        # The confirmation link from the mail, opened like the user would.
        assert self.app is not None, "Page(..., app=...) to read the confirmation mail"
        self.open(mailed_path(self.app, email))
        self.press("Confirm and sign in")
        assert self.path.startswith("/dashboard"), self.text[:300]

    def sign_in(self, email: str, password: str = PASSWORD) -> None:
        self.driver.delete_all_cookies()
        self.open("/login")
        self.fill("email", email)
        self.fill("password", password)
        self.press("Sign in")
        assert self.path.startswith("/dashboard"), self.text[:300]
