package dev.loupe.cli.attention;

import dev.loupe.cli.MainTest;
import dev.loupe.experiments.report.AttentionHeatmap;
import dev.loupe.model.Gpt;
import dev.loupe.model.GptConfig;
import dev.loupe.model.io.ModelDirectory;
import dev.loupe.tokens.CharTokenizer;
import dev.loupe.tokens.Tokenizers;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class AttentionCommandTest {
    @TempDir
    Path tmp;
    Path dir;

    @BeforeEach
    void writeTinyModel() {
        CharTokenizer tok = CharTokenizer.fromCorpus("abc <&>");
        GptConfig c = new GptConfig(tok.vocabSize(), 16, 8, 2, 2, 0, 1e-5f, true,
                GptConfig.Norm.PRE, GptConfig.Mlp.NONE, GptConfig.Positional.LEARNED);
        dir = tmp.resolve("tiny");
        ModelDirectory.write(dir, c, Gpt.create(c, 1).parameters());
        Tokenizers.save(tok, dir);
    }

    @Test
    void htmlHoldsEveryHeadInlineWithEscapedTokensAndNoNetwork() throws Exception {
        Path out = tmp.resolve("a.html");
        var r = MainTest.run("attention", "--model", dir.toString(), "--text", "ab<&", "--out", out.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("BOS: none prepended").contains("Wrote 4 heatmaps of 4 tokens");
        String html = Files.readString(out);
        assertThat(html.split("<svg ", -1)).hasSize(1 + 4);
        assertThat(html).contains("L1H1").contains("&lt;").contains("&amp;")
                .doesNotContain("<script").doesNotContain("src=").doesNotContain("href=");
        // 4 × 4 cells per head, each with a tooltip
        assertThat(html.split("<title>", -1)).hasSize(1 + 1 + 4 * 16);
    }

    @Test
    void pngAndSvgDrawOneHeadWithTheFirstQueryFullyOnItself() throws Exception {
        Path png = tmp.resolve("h.png"), svg = tmp.resolve("h.svg");
        assertThat(MainTest.run("attention", "--model", dir.toString(), "--text", "abca", "--layer", "1", "--head", "0",
                "--out", png.toString()).code()).isZero();
        BufferedImage img = ImageIO.read(png.toFile());
        assertThat(img).isNotNull();
        // query 0 can only attend to key 0 (weight 1, darkest); query 0 → key 1 is masked (0, white)
        assertThat(img.getRGB(90 + 8, 110 + 8) & 0xFFFFFF).isEqualTo((8 << 16) | (48 << 8) | 107);
        assertThat(img.getRGB(90 + 16 + 8, 110 + 8) & 0xFFFFFF).isEqualTo(0xFFFFFF);

        assertThat(MainTest.run("attention", "--model", dir.toString(), "--text", "abca", "--layer", "1", "--head", "0",
                "--out", svg.toString()).code()).isZero();
        String s = Files.readString(svg);
        assertThat(s).startsWith("<svg").contains("L1H0").contains("a → a: 1.000");
    }

    @Test
    void heatmapRejectsMismatchedSizes() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new AttentionHeatmap("x", List.of("a"), new float[2][2]))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void usageErrors() {
        String m = dir.toString();
        assertThat(MainTest.run("attention", "--model", m, "--text", "ab", "--out", tmp.resolve("x.png").toString()).code()).isEqualTo(2);
        assertThat(MainTest.run("attention", "--model", m, "--text", "ab", "--out", tmp.resolve("x.txt").toString()).code()).isEqualTo(2);
        assertThat(MainTest.run("attention", "--model", m, "--text", "ab", "--layer", "5", "--head", "0",
                "--out", tmp.resolve("x.svg").toString()).code()).isEqualTo(2);
    }
}
