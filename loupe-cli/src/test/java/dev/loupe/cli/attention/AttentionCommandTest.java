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
                .doesNotContain("<script").doesNotContain("src=").doesNotContain("href=\"http");
        // the cells of each head are one embedded PNG; each of the 4 query rows has a tooltip
        assertThat(html.split("href=\"data:image/png;base64,", -1)).hasSize(1 + 4);
        assertThat(html.split("<title>", -1)).hasSize(1 + 1 + 4 * 4);
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
    void svgOfThirtyTwoTokensStaysSmallAndItsCellsAreAnExactImage() throws Exception {
        int t = 32;
        java.util.Random r = new java.util.Random(1);
        float[][] w = new float[t][t];
        for (int q = 0; q < t; q++) {
            float sum = 0;
            for (int k = 0; k <= q; k++) sum += w[q][k] = r.nextFloat();
            for (int k = 0; k <= q; k++) w[q][k] /= sum;
        }
        List<String> tokens = java.util.stream.IntStream.range(0, t).mapToObj(i -> " tok" + i).toList();
        String svg = new AttentionHeatmap("layer 0, head 0", tokens, w).svg();
        // per-cell <rect>s with tooltips made 8 heads × 32 tokens 900 KB; one embedded PNG keeps a head under 16 KB
        assertThat(svg.length()).isLessThan(16_000);
        assertThat(svg).contains("<linearGradient").contains("query 31: ");
        String b64 = svg.replaceAll("(?s).*href=\"data:image/png;base64,([^\"]+)\".*", "$1");
        BufferedImage cells = ImageIO.read(new java.io.ByteArrayInputStream(java.util.Base64.getDecoder().decode(b64)));
        assertThat(cells.getWidth()).isEqualTo(t);
        assertThat(cells.getRGB(0, 0) & 0xFFFFFF).isEqualTo((8 << 16) | (48 << 8) | 107);   // query 0 → key 0: weight 1
        assertThat(cells.getRGB(5, 2) & 0xFFFFFF).isEqualTo(0xFFFFFF);                     // query 2 → key 5: masked
    }

    @Test
    void twoHeatmapsInOnePageHaveTheirOwnGradientIds() {
        float[][] a = {{1f, 0f}, {0.5f, 0.5f}}, b = {{1f, 0f}, {0.9f, 0.1f}};
        String one = new AttentionHeatmap("head 0", List.of("a", "b"), a).svg();
        String two = new AttentionHeatmap("head 1", List.of("a", "b"), b).svg();
        java.util.function.Function<String, String> id = svg -> svg.replaceAll("(?s).*<linearGradient id=\"([^\"]+)\".*", "$1");
        assertThat(id.apply(one)).isNotEqualTo(id.apply(two));
        assertThat(one).contains("url(#" + id.apply(one) + ")");
        assertThat(new AttentionHeatmap("head 0", List.of("a", "b"), a).svg()).isEqualTo(one);   // same content, same bytes
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
