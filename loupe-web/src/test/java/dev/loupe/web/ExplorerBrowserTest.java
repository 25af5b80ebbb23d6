package dev.loupe.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.io.File;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Locale;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * End to end in Debian's headless Chromium: type a prompt, wait for the heatmaps, hover a cell of the
 * expanded head and check the readout against the API; hover, pin and overlay heads in the token view.
 * Skips (saying why) where /usr/bin/chromium or /usr/bin/chromedriver is absent. The README's pictures
 * are made by {@link #screenshotsOfATrainedModelsInductionHead} on request only (docs/screenshots.sh):
 * tests never change tracked files.
 */
class ExplorerBrowserTest {
    static final Path CHROMIUM = Path.of("/usr/bin/chromium"), CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    static final String PROMPT = "the cat sat on the mat.\nthe cat sat on the";

    @TempDir
    Path tmp;

    @Test
    void promptToHeatmapsToHoverMatchesTheApi() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
                "needs Debian's chromium and chromium-driver (/usr/bin/chromium, /usr/bin/chromedriver): apt-get install chromium chromium-driver");
        Path model = TestModels.small(tmp.resolve("model"), 64, 3, 4);
        try (ExplorerServer server = ExplorerServer.start(ExplorerModel.open(model), "127.0.0.1", 0, 64)) {
            ChromeDriver driver = browser(tmp.resolve("profile"));
            try {
                driver.manage().window().setSize(new Dimension(1280, 1400));   // the expanded head fully in view: pointer offsets are from its in-view centre
                driver.get(server.url().toString());
                WebDriverWait wait = new WebDriverWait(driver, Duration.ofSeconds(15));
                wait.until(d -> "true".equals(d.findElement(By.tagName("body")).getDomAttribute("data-ready")));
                // the page opens on something: the default prompt (a repeated span of the vocabulary), analysed
                String defaultPrompt = driver.findElement(By.id("prompt")).getDomProperty("value");
                assertThat(defaultPrompt).isNotEmpty().isEqualTo(DefaultPrompt.of(ExplorerModel.open(model).tokenizer(), 64));
                assertThat(driver.findElement(By.tagName("body")).getDomAttribute("data-pictures")).isEqualTo("3");
                assertThat(driver.findElement(By.id("accepts")).getText()).contains("30 characters").contains("abc");
                // captions: a score of 1.00 reads "1.00" (not ".00"), and each caption is its head's three scores
                assertThat(((JavascriptExecutor) driver).executeScript("return score(1);")).isEqualTo("1.00");
                String caption = driver.findElement(By.cssSelector("#attention .head-cell .scores")).getText();
                assertThat(caption).matches("p[01]\\.\\d\\d d[01]\\.\\d\\d i[01]\\.\\d\\d");


                driver.findElement(By.id("prompt")).clear();
                driver.findElement(By.id("prompt")).sendKeys(PROMPT);
                ((JavascriptExecutor) driver).executeScript("document.body.dataset.pictures = '0';");
                driver.findElement(By.id("run")).click();
                wait.until(d -> "3".equals(d.findElement(By.tagName("body")).getDomAttribute("data-pictures")));
                assertThat(driver.findElements(By.cssSelector("canvas.thumb[data-drawn=true]"))).hasSize(12);
                assertThat(driver.findElements(By.cssSelector("#tokens .tok"))).hasSize(PROMPT.length());
                assertThat(driver.findElement(By.cssSelector("#tokens .tok[data-pos='3']")).getText()).isEqualTo("·");

                // expand head L1H2 and hover the cell (query 10, key 4)
                driver.findElement(By.cssSelector("canvas.thumb[data-layer='1'][data-head='2']")).click();
                WebElement detail = driver.findElement(By.id("detail"));
                int t = PROMPT.length(), q = 10, k = 4;
                double cell = detail.getSize().getWidth() / (double) t;
                int dx = (int) Math.round((k + 0.5) * cell - detail.getSize().getWidth() / 2.0);
                int dy = (int) Math.round((q + 0.5) * cell - detail.getSize().getHeight() / 2.0);
                new Actions(driver).moveToElement(detail, dx, dy).perform();
                WebElement hover = driver.findElement(By.id("hover"));
                wait.until(d -> hover.getDomAttribute("data-query") != null);
                assertThat(hover.getDomAttribute("data-layer")).isEqualTo("1");
                assertThat(hover.getDomAttribute("data-head")).isEqualTo("2");
                assertThat(hover.getDomAttribute("data-query")).isEqualTo(String.valueOf(q));
                assertThat(hover.getDomAttribute("data-key")).isEqualTo(String.valueOf(k));
                String run = (String) ((JavascriptExecutor) driver).executeScript("return window.loupe.state.run;");
                JsonNode head = new ObjectMapper().readTree(get(server.url().resolve("/api/runs/" + run + "/attention/1/2")));
                float expected = (float) head.get("pattern").get(q).get(k).asDouble();
                assertThat(expected).isGreaterThan(0f);
                assertThat(Float.parseFloat(hover.getDomAttribute("data-weight"))).isEqualTo(expected);
                assertThat(hover.getText()).endsWith(String.format(Locale.ROOT, ": %.4f", expected));

                attentionByToken(driver, server, run, head);

                // predictions, lens and attribution filled in
                wait.until(d -> "true".equals(d.findElement(By.id("lens")).getDomAttribute("data-loaded")) && !d.findElements(By.cssSelector("#dla .bar-row")).isEmpty());
                assertThat(driver.findElements(By.cssSelector("#predictions tr"))).hasSize(11);
                driver.findElement(By.id("circuits-run")).click();
                wait.until(d -> !d.findElements(By.cssSelector("#copying tr")).isEmpty() && !d.findElements(By.cssSelector("#detectors tr")).isEmpty());
                // dark cells carry light text (the copying table and the lens)
                for (WebElement td : driver.findElements(By.cssSelector("#copying td, #lens td"))) {
                    String bg = td.getCssValue("background-color"), fg = td.getCssValue("color");
                    if (luminance(bg) < 0.35) assertThat(luminance(fg)).as("text on %s", bg).isGreaterThan(0.8);
                }
                assertThat(Double.parseDouble(driver.findElement(By.id("composition")).getDomAttribute("data-max"))).isGreaterThan(0);
                File png = ((TakesScreenshot) driver).getScreenshotAs(OutputType.FILE);
                assertThat(Files.size(png.toPath())).isGreaterThan(10_000);
            } finally {
                driver.quit();
            }
        }
    }

    /**
     * The README's pictures, of a trained model: only with -Dloupe.screenshot.model=DIR (docs/screenshots.sh
     * passes the 2-layer model a fresh {@code loupe quickstart} trained) and -Dloupe.screenshot=OUT. The page
     * opens on the model's training sample (a span said twice); the head with the best induction score on it
     * is expanded and overlaid on the tokens with layer 0's best previous-token head, pinned on the query
     * where the induction head looks hardest at the token after the query's earlier copy. Writes
     * OUT/explorer.png and OUT/explorer-circuits.png.
     */
    @Test
    void screenshotsOfATrainedModelsInductionHead() throws Exception {
        String trained = System.getProperty("loupe.screenshot.model");
        Assumptions.assumeTrue(trained != null && !trained.isBlank(), "makes the README's pictures; run docs/screenshots.sh");
        Assumptions.assumeTrue(Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER), "needs chromium and chromium-driver");
        Path dir = Path.of(trained);
        ExplorerModel model = ExplorerModel.open(dir);
        assertThat(model.trainingSample()).as("%s has a sample_prompt.txt (a quickstart or train model)", dir).isPresent();
        try (ExplorerServer server = ExplorerServer.start(model, "127.0.0.1", 0, model.config().nPositions())) {
            ChromeDriver driver = browser(tmp.resolve("profile"));
            try {
                driver.manage().window().setSize(new Dimension(1280, 1000));
                driver.get(server.url().toString());
                WebDriverWait wait = new WebDriverWait(driver, Duration.ofSeconds(30));
                wait.until(d -> "true".equals(d.findElement(By.tagName("body")).getDomAttribute("data-ready")));
                assertThat(driver.findElement(By.id("prompt")).getDomProperty("value")).isEqualTo(model.trainingSample().get());
                JavascriptExecutor js = driver;
                JsonNode st = new ObjectMapper().readTree((String) js.executeScript(
                        "return JSON.stringify({run: loupe.state.run, scores: loupe.state.scores, ids: loupe.state.tokens.map(t => t.id)});"));
                int[] induction = best(st.get("scores").get("induction"), -1), previous = best(st.get("scores").get("previous_token"), 0);
                int[] ids = new int[st.get("ids").size()];
                for (int i = 0; i < ids.length; i++) ids[i] = st.get("ids").get(i).asInt();
                JsonNode pattern = new ObjectMapper().readTree(get(server.url().resolve(
                        "/api/runs/" + st.get("run").asText() + "/attention/" + induction[0] + "/" + induction[1]))).get("pattern");
                // the query whose induction target (the token after its most recent earlier copy) gets the most weight
                int query = -1, target = -1;
                double most = -1;
                for (int q = 1; q < ids.length; q++) {
                    for (int j = q - 1; j >= 0; j--) {
                        if (ids[j] != ids[q]) continue;
                        double w = pattern.get(q).get(j + 1).asDouble();
                        if (j + 1 < q && w > most) { most = w; query = q; target = j + 1; }
                        break;
                    }
                }
                assertThat(query).as("the sample repeats a token").isPositive();
                driver.findElement(By.cssSelector("canvas.thumb[data-layer='" + induction[0] + "'][data-head='" + induction[1] + "']")).click();
                driver.findElement(By.cssSelector("input.pick[data-layer='" + induction[0] + "'][data-head='" + induction[1] + "']")).click();
                driver.findElement(By.cssSelector("input.pick[data-layer='" + previous[0] + "'][data-head='" + previous[1] + "']")).click();
                tok(driver, query).click();
                assertThat(driver.findElement(By.id("tokens")).getDomAttribute("data-focus")).isEqualTo(String.valueOf(query));
                WebElement detail = driver.findElement(By.id("detail"));
                double cell = detail.getSize().getWidth() / (double) ids.length;
                new Actions(driver).moveToElement(detail, (int) Math.round((target + 0.5) * cell - detail.getSize().getWidth() / 2.0),
                        (int) Math.round((query + 0.5) * cell - detail.getSize().getHeight() / 2.0)).perform();
                String key = String.valueOf(target);
                wait.until(d -> key.equals(d.findElement(By.id("hover")).getDomAttribute("data-key")));
                js.executeScript("window.scrollTo(0, 0);");
                saveScreenshot(driver, "explorer.png");

                driver.findElement(By.id("circuits-run")).click();
                wait.until(d -> d.findElement(By.id("composition")).getDomAttribute("data-max") != null);
                js.executeScript("document.getElementById('circuits-run').scrollIntoView();");
                saveScreenshot(driver, "explorer-circuits.png");
            } finally {
                driver.quit();
            }
        }
    }

    /** The (layer, head) of the largest score in {@code byLayer} [layer][head], within layer {@code only} (-1: any). */
    private static int[] best(JsonNode byLayer, int only) {
        int[] at = {0, 0};
        double top = Double.NEGATIVE_INFINITY;
        for (int l = 0; l < byLayer.size(); l++) {
            if (only >= 0 && l != only) continue;
            for (int h = 0; h < byLayer.get(l).size(); h++) {
                double v = byLayer.get(l).get(h).asDouble();
                if (v > top) { top = v; at = new int[] {l, h}; }
            }
        }
        return at;
    }

    /**
     * The CircuitsVis-style token view on the expanded head L1H2 and then on two picked heads: hovering
     * a token colours the others by the API's weights; moving the pointer moves the highlight; a click
     * pins it; "key ← queries" reads the pattern's column instead of its row.
     */
    private static void attentionByToken(ChromeDriver driver, ExplorerServer server, String run, JsonNode l1h2) throws Exception {
        WebElement key = driver.findElement(By.cssSelector("#tokens .tok[data-pos='4']"));
        assertThat(key.getDomAttribute("data-weight")).as("no token focused yet").isNull();
        String plain = key.getCssValue("background-color");
        // hover query 10: key 4 is coloured by pattern[10][4] of the expanded head
        new Actions(driver).moveToElement(tok(driver, 10)).perform();
        assertThat(Float.parseFloat(key.getDomAttribute("data-weight"))).isEqualTo(weightOf(l1h2, 10, 4));
        assertThat(key.getCssValue("background-color")).isNotEqualTo(plain);
        assertThat(tok(driver, 12).getDomAttribute("class")).as("a later key is masked for query 10").contains("masked");
        assertThat(driver.findElement(By.id("token-readout")).getText()).startsWith("L1H2: query 10 ");
        // move to query 20: the highlight follows the pointer
        new Actions(driver).moveToElement(tok(driver, 20)).perform();
        assertThat(Float.parseFloat(key.getDomAttribute("data-weight"))).isEqualTo(weightOf(l1h2, 20, 4));
        assertThat(Float.parseFloat(tok(driver, 12).getDomAttribute("data-weight"))).isEqualTo(weightOf(l1h2, 20, 12));
        // click key 4 to pin it, then point elsewhere: the focus stays on 4
        key.click();
        new Actions(driver).moveToElement(tok(driver, 30)).perform();
        assertThat(driver.findElement(By.id("tokens")).getDomAttribute("data-focus")).isEqualTo("4");
        assertThat(key.getDomAttribute("class")).contains("pinned");
        // key ← queries: query 10 is coloured by how much it attends to the pinned key 4
        driver.findElement(By.cssSelector("input[name='direction'][value='key']")).click();
        assertThat(Float.parseFloat(tok(driver, 10).getDomAttribute("data-weight"))).isEqualTo(weightOf(l1h2, 10, 4));
        assertThat(tok(driver, 2).getDomAttribute("class")).as("an earlier query cannot see key 4").contains("masked");
        // pick L0H1 and L2H3 from the thumbnail grid: each token carries both heads' weights, in the pick order
        JsonNode l0h1 = new ObjectMapper().readTree(get(server.url().resolve("/api/runs/" + run + "/attention/0/1")));
        JsonNode l2h3 = new ObjectMapper().readTree(get(server.url().resolve("/api/runs/" + run + "/attention/2/3")));
        driver.findElement(By.cssSelector("input.pick[data-layer='0'][data-head='1']")).click();
        driver.findElement(By.cssSelector("input.pick[data-layer='2'][data-head='3']")).click();
        assertThat(driver.findElements(By.cssSelector("#overlay-legend .swatch"))).hasSize(2);
        String[] ws = tok(driver, 10).getDomAttribute("data-weights").split(",");
        assertThat(Float.parseFloat(ws[0])).isEqualTo(weightOf(l0h1, 10, 4));
        assertThat(Float.parseFloat(ws[1])).isEqualTo(weightOf(l2h3, 10, 4));
        assertThat(driver.findElement(By.id("token-readout")).getText()).contains("L0H1: key 4 ").contains("L2H3: key 4 ");
        // unpick one and unpin: the other stays, the focus follows the pointer again
        driver.findElement(By.cssSelector("input.pick[data-layer='2'][data-head='3']")).click();
        assertThat(tok(driver, 10).getDomAttribute("data-weights").split(",")).hasSize(1);
        key.click();
        new Actions(driver).moveToElement(tok(driver, 30)).perform();
        assertThat(driver.findElement(By.id("tokens")).getDomAttribute("data-focus")).isEqualTo("30");
        driver.findElement(By.id("overlay-clear")).click();
        driver.findElement(By.cssSelector("input[name='direction'][value='query']")).click();
    }

    private static WebElement tok(ChromeDriver driver, int pos) {
        return driver.findElement(By.cssSelector("#tokens .tok[data-pos='" + pos + "']"));
    }

    private static float weightOf(JsonNode head, int query, int key) {
        return (float) head.get("pattern").get(query).get(key).asDouble();
    }

    /**
     * Time to first picture on a GPT-2-small-shaped random model with a 256-token prompt: from the
     * click on Analyse to the first layer's heatmaps drawn (the page's own performance.now()).
     * A measurement, not a check: runs only with -Dloupe.explorer.gpt2=true (writes a 500 MB model).
     */
    @Test
    void timeToFirstPictureOnGpt2Small() throws Exception {
        Assumptions.assumeTrue(Boolean.getBoolean("loupe.explorer.gpt2"), "measurement; run with -Dloupe.explorer.gpt2=true");
        Assumptions.assumeTrue(Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER), "needs chromium and chromium-driver");
        Path model = TestModels.gpt2Small(tmp.resolve("gpt2"));
        try (ExplorerServer server = ExplorerServer.start(ExplorerModel.open(model), "127.0.0.1", 0, 1024)) {
            ChromeDriver driver = browser(tmp.resolve("profile"));
            try {
                driver.get(server.url().toString());
                WebDriverWait wait = new WebDriverWait(driver, Duration.ofSeconds(300));
                wait.until(d -> "true".equals(d.findElement(By.tagName("body")).getDomAttribute("data-ready")));
                String prompt = "the cat sat on the mat. ".repeat(11).substring(0, 256);
                for (int round = 0; round < 3; round++) {   // the first round warms the JIT
                    ((JavascriptExecutor) driver).executeScript("document.getElementById('prompt').value = arguments[0];", prompt);
                    driver.findElement(By.id("run")).click();
                    wait.until(d -> "12".equals(d.findElement(By.tagName("body")).getDomAttribute("data-pictures")));
                    Object timing = ((JavascriptExecutor) driver).executeScript("return JSON.stringify(window.loupe.timing);");
                    long t0 = System.nanoTime();
                    wait.until(d -> "true".equals(d.findElement(By.id("lens")).getDomAttribute("data-loaded")) && !d.findElements(By.cssSelector("#dla .bar-row")).isEmpty());
                    System.out.printf("round %d: 256 tokens, GPT-2 small shape: %s; lens + DLA %.1f s later%n", round, timing, (System.nanoTime() - t0) / 1e9);
                    ((JavascriptExecutor) driver).executeScript("document.body.dataset.pictures = '0'; document.getElementById('lens').removeAttribute('data-loaded'); document.getElementById('dla').innerHTML = '';");
                }
            } finally {
                driver.quit();
            }
        }
    }

    /** Copies a screenshot to DIR/name when -Dloupe.screenshot=DIR is given (never otherwise). */
    static void saveScreenshot(Path png, String name) throws Exception {
        String target = System.getProperty("loupe.screenshot");
        if (target == null || target.isBlank()) return;
        Path docs = Path.of(target).toAbsolutePath();
        Files.createDirectories(docs);
        Files.copy(png, docs.resolve(name), StandardCopyOption.REPLACE_EXISTING);
    }

    static void saveScreenshot(ChromeDriver driver, String name) throws Exception {
        saveScreenshot(((TakesScreenshot) driver).getScreenshotAs(OutputType.FILE).toPath(), name);
    }

    /** Relative luminance in [0, 1] of a CSS "rgb(r, g, b)" or "rgba(r, g, b, a)" colour. */
    static double luminance(String css) {
        String[] c = css.replaceAll("[^0-9.,]", "").split(",");
        return (0.2126 * Double.parseDouble(c[0]) + 0.7152 * Double.parseDouble(c[1]) + 0.0722 * Double.parseDouble(c[2])) / 255;
    }

    static ChromeDriver browser(Path profile) {
        ChromeOptions o = new ChromeOptions();
        o.setBinary(CHROMIUM.toFile());
        o.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--user-data-dir=" + profile.toAbsolutePath());
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile()).usingAnyFreePort().build();
        return new ChromeDriver(service, o);
    }

    static String get(URI uri) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString()).body();
    }
}
