"""Drives the upload page in headless Chromium (Debian's chromium + chromium-driver, selenium from pip):
choose a file, upload it, wait for the progress bar to finish and the result to show, save a screenshot.
Usage: upload_page_browser.py URL FILE SCREENSHOT. Prints the result as JSON; exits 1 if the page shows an error."""
import json
import sys

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

url, path, screenshot = sys.argv[1:4]
options = webdriver.ChromeOptions()
options.binary_location = "/usr/bin/chromium"
for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
    options.add_argument(argument)
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
try:
    driver.set_page_load_timeout(30)
    driver.get(url)
    assert "Upload a file" in driver.title, driver.title
    driver.find_element(By.ID, "file").send_keys(path)
    driver.find_element(By.ID, "send").click()
    seen = set()

    def finished(d):
        seen.add(d.find_element(By.ID, "bar").get_attribute("value"))
        status = d.find_element(By.ID, "status")
        return "error" in (status.get_attribute("class") or "") or d.find_element(By.ID, "result").is_displayed()

    WebDriverWait(driver, 120, poll_frequency=0.05).until(finished)
    driver.save_screenshot(screenshot)
    status = driver.find_element(By.ID, "status")
    result = {
        "status": status.text,
        "error": "error" in (status.get_attribute("class") or ""),
        "bar": driver.find_element(By.ID, "bar").get_attribute("value"),
        "barValuesSeen": sorted(seen),
        "name": driver.find_element(By.ID, "r-name").text,
        "size": driver.find_element(By.ID, "r-size").text,
        "sha256": driver.find_element(By.ID, "r-sha").text,
        "nodes": driver.find_element(By.ID, "r-nodes").text,
        "consoleErrors": [e["message"] for e in driver.get_log("browser") if e.get("level") == "SEVERE"],
    }
    print(json.dumps(result))
    sys.exit(1 if result["error"] or result["consoleErrors"] else 0)
finally:
    driver.quit()
