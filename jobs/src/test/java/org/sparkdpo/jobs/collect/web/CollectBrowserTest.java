package org.sparkdpo.jobs.collect.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.support.ui.WebDriverWait;
import org.sparkdpo.common.spark.SparkSessions;
import org.sparkdpo.jobs.collect.AnnotationQueue;
import org.sparkdpo.model.TestFixtures;
import org.sparkdpo.prep.PrepareJob;
import org.sparkdpo.prep.PrepareProgress;
import org.sparkdpo.prep.PrepareResult;
import org.sparkdpo.prep.PrepareSettingsBuilder;

/**
 * {@code collect --web} in a real browser: Debian's headless Chromium driven by Selenium. Two annotators (overlap 2)
 * click through 10 pairs with the keyboard at once, one of them reloads half-way; the dataset then holds every
 * decision once, {@code prepare} reads it, and a hostile answer appeared as text. Saves target/collect-web.png.
 */
class CollectBrowserTest {
    static final int PAIRS = 10;
    /** Alice's and Bob's keys, pair by pair in the order shown; "u" undoes the previous one, which is then redone. */
    static final List<String> ALICE = List.of("1", "2", "t", "1", "u", "2", "b", "1", "s", "2", "1", "2");
    static final List<String> BOB = List.of("2", "1", "1", "2", "s", "1", "t", "2", "1", "2");

    static SparkSession spark;

    @BeforeAll
    static void start() {
        spark = SparkSessions.forTests();
    }

    /** Chromium and its driver from PATH; in CI (CI=true) their absence is a failure, elsewhere a skip. */
    static Path onPath(String name) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            Path p = Path.of(dir.isEmpty() ? "." : dir, name);
            if (Files.isExecutable(p)) return p;
        }
        String msg = name + " not found on PATH: install Debian's chromium and chromium-driver (.ci/run does)";
        if ("true".equalsIgnoreCase(System.getenv("CI"))) fail(msg);
        Assumptions.assumeTrue(false, msg);
        return null;
    }

    static WebDriver browser(Path chromium, Path driver) {
        ChromeOptions o = new ChromeOptions();
        o.setBinary(chromium.toFile());
        o.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1280,900", "--no-first-run", "--disable-extensions");
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(driver.toFile())
                .usingAnyFreePort().build();
        return new ChromeDriver(service, o);
    }

    /** One person at one browser: presses keys and records what was on screen for each decision. */
    static final class Person {
        final String name;
        final WebDriver web;
        final WebDriverWait wait;
        /** pair id -> the text of the answer the person preferred (for keys 1/2), or null for t/b/s */
        final Map<String, String> preferred = new HashMap<>();
        final List<String> pairsInOrder = new ArrayList<>();
        boolean sawHostile;

        Person(String name, WebDriver web) {
            this.name = name;
            this.web = web;
            this.wait = new WebDriverWait(web, Duration.ofSeconds(30), Duration.ofMillis(20));
        }

        /** What the page shows, for failure messages. */
        String onScreen() {
            return "pair " + attr("data-pair-id") + ", progress '" + web.findElement(By.id("progress")).getText()
                    + "', message '" + web.findElement(By.id("message")).getText() + "', decided " + pairsInOrder;
        }

        String attr(String name) {
            return web.findElement(By.tagName("body")).getAttribute(name);
        }

        /** Waits until the page finished a load after `loadsBefore` and shows a pair or the end. */
        void settle(String loadsBefore) {
            wait.until(d -> {
                String s = attr("data-state");
                String loads = attr("data-loads");
                return loads != null && !loads.equals(loadsBefore) && ("ready".equals(s) || "done".equals(s));
            });
        }

        void press(String key) {
            String pair = attr("data-pair-id");
            String first = web.findElement(By.id("first")).getText();
            String second = web.findElement(By.id("second")).getText();
            String loads = attr("data-loads");
            new Actions(web).sendKeys(key).perform();
            settle(loads);
            switch (key) {
                case "u" -> preferred.remove(pairsInOrder.remove(pairsInOrder.size() - 1));
                case "1", "2" -> record(pair, key.equals("1") ? first : second);
                default -> record(pair, null);
            }
        }

        private void record(String pair, String text) {
            pairsInOrder.add(pair);
            preferred.put(pair, text);
        }
    }

    @Test
    void twoAnnotatorsClickThroughTenPairsInTheBrowser(@TempDir Path dir) throws Exception {
        Path chromium = onPath("chromium");
        Path driver = onPath("chromedriver");
        Path prefs = dir.resolve("PREFS.jsonl");
        WebDriver aliceWeb = null;
        WebDriver bobWeb = null;
        try (AnnotationQueue queue = AnnotationQueue.open(prefs, WebFixtures.pairs(PAIRS), 2);
             CollectServer server = CollectServer.start(queue, new CollectServer.Settings("127.0.0.1", 0, false))) {
            aliceWeb = browser(chromium, driver);
            bobWeb = browser(chromium, driver);
            Person alice = new Person("alice", aliceWeb);
            Person bob = new Person("bob", bobWeb);

            // Alice is asked her name once; Bob comes with his name in the URL
            aliceWeb.get(server.url().toString());
            alice.wait.until(d -> "name".equals(alice.attr("data-state")));
            aliceWeb.findElement(By.id("name-input")).sendKeys("alice", Keys.ENTER);
            alice.settle(null);
            bobWeb.get(server.url() + "?annotator=bob");
            bob.settle(null);

            long t0 = System.nanoTime();
            int a = 0;
            int b = 0;
            while (a < ALICE.size() || b < BOB.size()) {
                if (a < ALICE.size()) {
                    checkText(alice);
                    alice.press(ALICE.get(a++));
                }
                if (b < BOB.size()) {
                    checkText(bob);
                    bob.press(BOB.get(b++));
                }
                if (a == 5) reloadKeepsOrderAndProgress(alice, server);
            }
            for (Person p : List.of(alice, bob)) {
                assertEquals("done", p.attr("data-state"), p.name + " has nothing left: " + p.onScreen());
                assertEquals(PAIRS, p.preferred.size(), p.name + " decided every pair");
                assertTrue(p.sawHostile, p.name + " was shown the pair with the hostile answer");
                assertNull(((org.openqa.selenium.JavascriptExecutor) p.web).executeScript("return window.__pwned;"),
                        "no script from an answer ran");
            }
            System.out.printf("browser: %d key presses in %.1f s%n", ALICE.size() + BOB.size(), (System.nanoTime() - t0) / 1e9);
            assertStatusPage(alice, server);
            assertDataset(prefs, List.of(alice, bob));
            long t1 = System.nanoTime();
            assertPrepareReads(prefs, dir);
            System.out.printf("prepare: %.1f s%n", (System.nanoTime() - t1) / 1e9);
        } finally {
            if (aliceWeb != null) aliceWeb.quit();
            if (bobWeb != null) bobWeb.quit();
        }
    }

    /** The hostile answer is on screen as its literal text; the screenshot is taken there. */
    static void checkText(Person p) throws Exception {
        if (!"ready".equals(p.attr("data-state"))) return;
        String shown = p.web.findElement(By.id("first")).getText() + "\n" + p.web.findElement(By.id("second")).getText();
        if (!shown.contains("<script>")) return;
        assertTrue(shown.contains(WebFixtures.HOSTILE), shown);
        assertEquals(0, p.web.findElements(By.cssSelector("#first img, #second img, #first script, #second script")).size());
        p.sawHostile = true;
        Path target = Files.createDirectories(Path.of("target"));
        Path shot = ((org.openqa.selenium.TakesScreenshot) p.web).getScreenshotAs(OutputType.FILE).toPath();
        Files.copy(shot, target.resolve("collect-web.png"), StandardCopyOption.REPLACE_EXISTING);
    }

    /** Reloading (the name now from localStorage) shows the same pair in the same order with the same progress. */
    static void reloadKeepsOrderAndProgress(Person p, CollectServer server) {
        String pair = p.attr("data-pair-id");
        String first = p.web.findElement(By.id("first")).getText();
        String progress = p.web.findElement(By.id("progress")).getText();
        p.web.get(server.url().toString());
        p.settle(null);
        assertEquals(pair, p.attr("data-pair-id"));
        assertEquals(first, p.web.findElement(By.id("first")).getText());
        assertEquals(progress, p.web.findElement(By.id("progress")).getText());
        assertTrue(p.web.findElement(By.id("who")).getText().contains(p.name));
    }

    /** The status page lists both annotators with all 10 pairs done, and the agreement figure. */
    static void assertStatusPage(Person p, CollectServer server) {
        p.web.get(server.url().resolve("/status").toString());
        p.settle(null);
        List<String> rows = p.web.findElements(By.cssSelector("#status-rows tr")).stream().map(r -> r.getText()).sorted().toList();
        assertEquals(List.of("alice " + PAIRS + " " + PAIRS, "bob " + PAIRS + " " + PAIRS), rows);
        String agreement = p.web.findElement(By.id("status-agreement")).getText();
        assertTrue(agreement.startsWith("Agreement on ") && agreement.contains("Cohen"), agreement);
    }

    /** One row per (pair, annotator) whose last key was 1 or 2, holding the answer that was on that side. */
    static void assertDataset(Path prefs, List<Person> people) throws Exception {
        Map<String, JsonNode> rows = new HashMap<>();
        for (JsonNode r : WebFixtures.lines(prefs)) {
            assertNull(rows.put(r.get("id").asText(), r), "row twice: " + r.get("id"));
        }
        Set<String> expected = new HashSet<>();
        for (Person p : people) {
            for (Map.Entry<String, String> e : p.preferred.entrySet()) {
                if (e.getValue() == null) continue;
                String id = e.getKey() + "/" + p.name;
                expected.add(id);
                JsonNode row = rows.get(id);
                assertTrue(row != null, "missing row " + id);
                assertEquals(e.getValue(), row.get("chosen").asText(), id);
                assertEquals(p.name, row.get("annotator").asText());
            }
        }
        assertEquals(expected, rows.keySet());
    }

    static void assertPrepareReads(Path prefs, Path dir) throws Exception {
        PrepareResult r = PrepareJob.run(spark, PrepareSettingsBuilder.of(List.of(prefs.toString()),
                TestFixtures.tinyGpt2().toString(), dir.resolve("prepared").toString()).build(), PrepareProgress.silent());
        long rows = WebFixtures.lines(prefs).size();
        assertTrue(rows >= 10, "rows " + rows);
        assertEquals(rows, r.counts().read(), "every row read");
        assertEquals(rows, r.counts().kept(), "every row kept");
    }
}
