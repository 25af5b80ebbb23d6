package dev.loupe.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.loupe.model.Gpt;
import dev.loupe.model.io.ModelDirectory;
import dev.loupe.sae.Architecture;
import dev.loupe.sae.DashboardUnits;
import dev.loupe.sae.FeatureDashboard;
import dev.loupe.sae.FeatureDashboardHtml;
import dev.loupe.sae.SaeConfig;
import dev.loupe.sae.SaeMetadata;
import dev.loupe.sae.SaeSplice;
import dev.loupe.sae.SaeUnits;
import dev.loupe.sae.SparseAutoencoder;
import dev.loupe.sae.TokenWindows;
import dev.loupe.tensor.Tensor;
import dev.loupe.tensor.io.AtomicFiles;
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
import org.openqa.selenium.support.ui.WebDriverWait;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The explorer's Features view ({@code loupe serve --sae DIR --sae-dashboard DIR}): its API, and end to
 * end in headless Chromium — type a prompt, read the strongest features per token, open one feature's
 * page and its dashboard. Screenshots go to a temporary directory only.
 */
class FeaturesViewTest {
    static final String PROMPT = "the cat sat on the mat.";

    @TempDir
    Path tmp;

    static SparseAutoencoder sae(String hook, int dIn) {
        int dSae = 3 * dIn;
        return SparseAutoencoder.of(SaeConfig.of(Architecture.STANDARD, dIn, dSae, 0, SaeMetadata.of("test", hook)),
                Tensor.randn(1, 0.5f, dIn, dSae), Tensor.randn(2, 0.1f, dSae), Tensor.randn(3, 0.3f, dSae, dIn), Tensor.randn(4, 0.1f, dIn), null);
    }

    /** The dashboard 'loupe sae features' would write, over random text of the alphabet. */
    static Path dashboard(Path dir, ExplorerModel m, SparseAutoencoder s) {
        SplittableRandom r = new SplittableRandom(3);
        int[] ids = new int[64 * 16];
        for (int i = 0; i < ids.length; i++) ids[i] = r.nextInt(m.tokenizer().vocabSize());
        FeatureDashboard d = FeatureDashboard.build("test SAE", m.gpt(), new SaeUnits(m.gpt(), s), new TokenWindows(ids, 64, 8), null,
                FeatureDashboard.Settings.defaults(), m.tokenizer()::tokenText, x -> { });
        AtomicFiles.writeString(dir.resolve("features.json"), d.json().toString());
        AtomicFiles.writeString(dir.resolve("features.html"), FeatureDashboardHtml.page(d));
        return dir;
    }

    @Test
    void theApiAnswersWithAndWithoutAnSae() throws Exception {
        Path model = TestModels.small(tmp.resolve("model"), 64, 2, 4);
        try (ExplorerServer plain = ExplorerServer.start(ExplorerModel.open(model), "127.0.0.1", 0, 64)) {
            assertThat(new ObjectMapper().readTree(get(plain.url().resolve("/api/features")).body()).path("enabled").asBoolean()).isFalse();
            assertThat(post(plain.url().resolve("/api/features"), "{\"prompt\": \"the\"}").statusCode()).isEqualTo(404);
        }
        ExplorerModel m = ExplorerModel.open(model);
        SparseAutoencoder s = sae("blocks.1.hook_resid_pre", 32);
        try (SaeSplice splice = SaeSplice.attach(m.gpt(), s, true);
             ExplorerServer server = ExplorerServer.start(m, "127.0.0.1", 0, 64, splice, null)) {
            JsonNode info = new ObjectMapper().readTree(get(server.url().resolve("/api/features")).body());
            assertThat(info.path("enabled").asBoolean()).isTrue();
            assertThat(info.path("d_sae").asInt()).isEqualTo(96);
            assertThat(info.path("dashboard").asBoolean()).isFalse();
            assertThat(post(server.url().resolve("/api/features"), "{\"prompt\": \"the\", \"k\": 99}").statusCode()).isEqualTo(400);
            assertThat(post(server.url().resolve("/api/features"), "not json").statusCode()).isEqualTo(400);
            assertThat(get(server.url().resolve("/api/features/96")).statusCode()).isEqualTo(404);
            assertThat(get(server.url().resolve("/api/features/dashboard")).statusCode()).isEqualTo(404);
            HttpResponse<String> f = get(server.url().resolve("/api/features/7"));
            assertThat(f.statusCode()).isEqualTo(200);
            assertThat(new ObjectMapper().readTree(f.body()).path("logits_positive")).hasSize(10);
        }
    }

    @Test
    void promptToFeaturesPerTokenToAFeaturesDashboard() throws Exception {
        Path chromium = ExplorerBrowserTest.CHROMIUM, driverBin = ExplorerBrowserTest.CHROMEDRIVER;
        Assumptions.assumeTrue(Files.isExecutable(chromium) && Files.isExecutable(driverBin),
                "needs Debian's chromium and chromium-driver (/usr/bin/chromium, /usr/bin/chromedriver): apt-get install chromium chromium-driver");
        Path model = TestModels.small(tmp.resolve("model"), 64, 2, 4);
        ExplorerModel m = ExplorerModel.open(model);
        String hook = "blocks.1.hook_resid_pre";
        SparseAutoencoder s = sae(hook, 32);
        Path dash = dashboard(Files.createDirectories(tmp.resolve("dash")), m, s);
        // the features independently: the plain model's activation at the hook, encoded
        Gpt plain = Gpt.fromWeights(m.config(), ModelDirectory.read(model).weights());
        int[] ids = m.tokenizer().encode(PROMPT);
        Tensor f = s.encode(plain.runWithCache(ids, 1, ids.length, hook::equals).cache().get(hook).reshape(ids.length, 32));
        int pos = 5;
        List<Integer> expected = new ArrayList<>();
        for (int k = 0; k < 5; k++) {
            int best = -1;
            for (int i = 0; i < 96; i++) if (f.get(pos, i) > 0 && !expected.contains(i) && (best < 0 || f.get(pos, i) > f.get(pos, best))) best = i;
            if (best >= 0) expected.add(best);
        }
        assertThat(expected).isNotEmpty();
        try (SaeSplice splice = SaeSplice.attach(m.gpt(), s, true);
             ExplorerServer server = ExplorerServer.start(m, "127.0.0.1", 0, 64, splice, dash)) {
            ChromeDriver driver = ExplorerBrowserTest.browser(tmp.resolve("profile"));
            try {
                driver.manage().window().setSize(new Dimension(1280, 1400));
                driver.get(server.url().toString());
                WebDriverWait wait = new WebDriverWait(driver, Duration.ofSeconds(20));
                wait.until(d -> "true".equals(d.findElement(By.tagName("body")).getDomAttribute("data-ready")));
                assertThat(driver.findElement(By.id("features-section")).isDisplayed()).isTrue();
                driver.findElement(By.id("prompt")).clear();   // the page opened on its default prompt
                driver.findElement(By.id("prompt")).sendKeys(PROMPT);
                driver.findElement(By.id("run")).click();
                wait.until(d -> "true".equals(d.findElement(By.id("features")).getDomAttribute("data-loaded")));
                assertThat(driver.findElements(By.cssSelector("#features tr.feat-pos"))).hasSize(PROMPT.length());
                List<WebElement> chips = driver.findElements(By.cssSelector("#features tr.feat-pos[data-pos='" + pos + "'] .feat"));
                assertThat(chips.stream().map(c -> Integer.parseInt(c.getDomAttribute("data-index"))).toList()).isEqualTo(expected);
                assertThat(Float.parseFloat(chips.getFirst().getDomAttribute("data-activation")))
                        .isCloseTo(f.get(pos, expected.getFirst()), org.assertj.core.api.Assertions.within(1e-4f));

                chips.getFirst().click();
                wait.until(d -> String.valueOf(expected.getFirst()).equals(d.findElement(By.id("feature-detail")).getDomAttribute("data-index")));
                assertThat(driver.findElements(By.cssSelector("#feature-detail table tr"))).hasSize(22);   // 2 × (header + 10 tokens)
                driver.findElement(By.id("feature-open")).click();
                WebElement frame = driver.findElement(By.id("feature-dashboard"));
                wait.until(d -> frame.isDisplayed());
                driver.switchTo().frame(frame);
                wait.until(d -> !d.findElements(By.cssSelector("#detail h2")).isEmpty());
                assertThat(driver.findElement(By.cssSelector("#detail h2")).getText()).isEqualTo("feature " + expected.getFirst());
                assertThat(driver.findElements(By.cssSelector("#detail .ex"))).isNotEmpty();
                assertThat(driver.findElements(By.cssSelector("#rows tr.unit"))).hasSize(96);
                driver.switchTo().defaultContent();
                ((JavascriptExecutor) driver).executeScript("document.getElementById('features-section').scrollIntoView();");
                Path png = ((TakesScreenshot) driver).getScreenshotAs(OutputType.FILE).toPath();
                assertThat(Files.size(png)).isGreaterThan(10_000);
                Files.copy(png, tmp.resolve("features.png"));                 // a temporary directory: no tracked file changes
            } finally {
                driver.quit();
            }
        }
    }

    static HttpResponse<String> get(URI uri) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> post(URI uri, String body) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(uri).POST(HttpRequest.BodyPublishers.ofString(body))
                .header("Content-Type", "application/json").build(), HttpResponse.BodyHandlers.ofString());
    }
}
