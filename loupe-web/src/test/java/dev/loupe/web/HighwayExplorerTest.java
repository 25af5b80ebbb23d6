package dev.loupe.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.loupe.model.Gpt;
import dev.loupe.model.GptConfig;
import dev.loupe.model.HighwaySettings;
import dev.loupe.model.io.ModelDirectory;
import dev.loupe.tokens.CharTokenizer;
import dev.loupe.tokens.Tokenizers;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Locale;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The explorer's Highway view: {@code /api/runs/{id}/highway} serves the gates and shares of a
 * highway-gated model, a plain model hides the panel and gets 400 there, the weights-only circuits
 * answer one clear 400 on a gated model; in a browser, the panel draws the gate heatmap and a hover
 * shows the API's numbers.
 */
class HighwayExplorerTest {
    static final ObjectMapper OM = new ObjectMapper();

    static Path highwayModel(Path dir) {
        CharTokenizer tok = CharTokenizer.fromCorpus(TestModels.ALPHABET);
        GptConfig c = GptConfig.gpt2(tok.vocabSize(), 32, 32, 2, 4).withHighway(new HighwaySettings(
                EnumSet.allOf(HighwaySettings.Sublayer.class), HighwaySettings.Gate.VECTOR, HighwaySettings.Mode.HIGHWAY, -1f));
        ModelDirectory.write(dir, c, Gpt.create(c, 3).parameters());
        Tokenizers.save(tok, dir);
        return dir;
    }

    static HttpResponse<String> send(HttpRequest r) throws Exception {
        return HttpClient.newHttpClient().send(r, HttpResponse.BodyHandlers.ofString());
    }

    static String analyse(ExplorerServer server, String prompt) throws Exception {
        HttpResponse<String> r = send(HttpRequest.newBuilder(server.url().resolve("/api/analyze"))
                .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\": \"" + prompt + "\"}")).build());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return OM.readTree(r.body()).get("run").asText();
    }

    @Test
    void apiServesGatesForGatedModelsAndSaysWhyNotForOthers(@TempDir Path tmp) throws Exception {
        try (ExplorerServer server = ExplorerServer.start(ExplorerModel.open(highwayModel(tmp.resolve("hw"))), "127.0.0.1", 0, 32)) {
            JsonNode model = OM.readTree(send(HttpRequest.newBuilder(server.url().resolve("/api/model")).build()).body());
            assertThat(model.get("highway").get("mode").asText()).isEqualTo("highway");
            String run = analyse(server, "the cat sat");
            JsonNode h = OM.readTree(send(HttpRequest.newBuilder(server.url().resolve("/api/runs/" + run + "/highway")).build()).body());
            assertThat(h.get("rows")).hasSize(4);
            assertThat(h.get("rows").get(1).asText()).isEqualTo("L0 mlp");
            assertThat(h.get("mean_gate").get(3)).hasSize(11);
            for (JsonNode row : h.get("mean_gate")) for (JsonNode v : row) assertThat(v.asDouble()).isStrictlyBetween(0.1, 0.5);
            HttpResponse<String> circuits = send(HttpRequest.newBuilder(server.url().resolve("/api/circuits")).build());
            assertThat(circuits.statusCode()).isEqualTo(400);
            assertThat(circuits.body()).contains("highway gates");
        }
        try (ExplorerServer server = ExplorerServer.start(ExplorerModel.open(TestModels.small(tmp.resolve("plain"), 16, 2, 2)), "127.0.0.1", 0, 16)) {
            JsonNode model = OM.readTree(send(HttpRequest.newBuilder(server.url().resolve("/api/model")).build()).body());
            assertThat(model.get("highway").isNull()).isTrue();
            String run = analyse(server, "ab");
            HttpResponse<String> r = send(HttpRequest.newBuilder(server.url().resolve("/api/runs/" + run + "/highway")).build());
            assertThat(r.statusCode()).isEqualTo(400);
            assertThat(r.body()).contains("no highway gates");
        }
    }

    @Test
    void thePanelDrawsTheGateHeatmapAndHoverShowsTheApisNumbers(@TempDir Path tmp) throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(ExplorerBrowserTest.CHROMIUM) && Files.isExecutable(ExplorerBrowserTest.CHROMEDRIVER),
                "needs Debian's chromium and chromium-driver (/usr/bin/chromium, /usr/bin/chromedriver): apt-get install chromium chromium-driver");
        try (ExplorerServer server = ExplorerServer.start(ExplorerModel.open(highwayModel(tmp.resolve("hw"))), "127.0.0.1", 0, 32)) {
            ChromeDriver driver = ExplorerBrowserTest.browser(tmp.resolve("profile"));
            try {
                driver.manage().window().setSize(new Dimension(1280, 1400));
                driver.get(server.url().toString());
                WebDriverWait wait = new WebDriverWait(driver, Duration.ofSeconds(20));
                wait.until(d -> "true".equals(d.findElement(By.tagName("body")).getDomAttribute("data-ready")));
                WebElement map = driver.findElement(By.id("highway-map"));
                wait.until(d -> map.getDomAttribute("data-loaded") != null);
                assertThat(driver.findElement(By.id("highway-section")).isDisplayed()).isTrue();
                String run = (String) ((JavascriptExecutor) driver).executeScript("return window.loupe.state.run;");
                assertThat(map.getDomAttribute("data-loaded")).isEqualTo(run);
                JsonNode h = OM.readTree(send(HttpRequest.newBuilder(server.url().resolve("/api/runs/" + run + "/highway")).build()).body());

                int s = 2, t = 3, cell = 22, left = 64, top = 8;     // highway.js's layout
                ((JavascriptExecutor) driver).executeScript("arguments[0].scrollIntoView({block: 'center'});", map);
                int dx = left + t * cell + cell / 2 - map.getSize().getWidth() / 2, dy = top + s * cell + cell / 2 - map.getSize().getHeight() / 2;
                new Actions(driver).moveToElement(map, dx, dy).perform();
                WebElement hover = driver.findElement(By.id("highway-hover"));
                wait.until(d -> hover.getText().contains("gate"));
                assertThat(hover.getText()).startsWith("L1 attn, position 3")
                        .contains(String.format(Locale.ROOT, "gate %.3f", h.get("mean_gate").get(s).get(t).asDouble()));
                ExplorerBrowserTest.saveScreenshot(driver, "explorer-highway.png");
            } finally {
                driver.quit();
            }
        }
    }
}
