package dev.loupe.cli.trace;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.loupe.cli.MainTest;
import dev.loupe.model.Gpt;
import dev.loupe.model.GptConfig;
import dev.loupe.model.io.ModelDirectory;
import dev.loupe.tokens.CharTokenizer;
import dev.loupe.tokens.Tokenizers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.loupe.cli.MainTest.run;
import static org.assertj.core.api.Assertions.assertThat;

class TraceCommandTest {
    @TempDir
    Path tmp;

    @Test
    void builtInTraceNumbersEveryStepInOrderAndPredictsOn() {
        MainTest.Result r = run("trace");
        assertThat(r.code()).as(r.err()).isZero();
        List<Integer> numbers = new ArrayList<>();
        Matcher m = Pattern.compile("(?m)^── (\\d+)\\. ").matcher(r.out());
        while (m.find()) numbers.add(Integer.parseInt(m.group(1)));
        assertThat(numbers).hasSize(22);
        for (int i = 0; i < numbers.size(); i++) assertThat(numbers.get(i)).isEqualTo(i + 1);
        assertThat(r.out()).contains("Token embedding lookup", "Causal mask", "Softmax rows", "blend from that token's point of view",
                "Residual add", "MLP expand", "GELU", "final LayerNorm", "Logits", "greedy decoding",
                "Loss", "p − onehot(y)", "finite differences", "One AdamW update", "−∞");
        assertThat(r.out()).containsPattern("check +Loupe's fast forward pass gives the same logits to within [0-9.]+e-0[5-9]");
    }

    @Test
    void postLnPutsLayerNormAfterTheResidualAdd() {
        String pre = run("trace", "--pre-ln").out(), post = run("trace", "--post-ln").out();
        assertThat(pre.indexOf("LN1, block 0")).isLessThan(pre.indexOf("Queries, keys and values"));
        assertThat(post.indexOf("LN1, block 0")).isGreaterThan(post.indexOf("Residual add after attention"));
        assertThat(post).contains("post-LN (2017)");
    }

    @Test
    void htmlIsOneSelfContainedPageWithAHeatmapPerMatrix() throws Exception {
        Path html = tmp.resolve("t.html");
        MainTest.Result r = run("trace", "--prompt", "a dog sat", "--target", "on", "--html", html.toString());
        assertThat(r.code()).as(r.err()).isZero();
        String page = Files.readString(html);
        assertThat(page).startsWith("<!DOCTYPE html>").contains("<svg", "linearGradient", "A_0", "One AdamW update")
                .doesNotContain("<script", "src=");
        assertThat(page.replace("http://www.w3.org/2000/svg", "")).doesNotContain("http");
        long svgs = Pattern.compile("<svg ").matcher(page).results().count();
        long matrices = Pattern.compile("<div class=\"m\">").matcher(page).results().count();
        assertThat(svgs).isEqualTo(matrices).isGreaterThan(40);
    }

    @Test
    void jsonHasEveryStepAndMatrix() throws Exception {
        MainTest.Result r = run("trace", "--json");
        assertThat(r.code()).isZero();
        JsonNode root = new ObjectMapper().readTree(r.out());
        assertThat(root.get("steps").size()).isEqualTo(22);
        assertThat(root.at("/header/predicted").asText()).isEqualTo("on");
        JsonNode mask = null;
        for (JsonNode s : root.get("steps")) for (JsonNode v : s.get("values")) if (v.get("key").asText().equals("blocks.0.attn.mask")) mask = v;
        assertThat(mask).isNotNull();
        assertThat(mask.at("/data/0/1").isNull()).isTrue();   // −∞ above the diagonal
        assertThat(mask.at("/data/1/0").asDouble()).isZero();
    }

    @Test
    void modelDirectoryWithCharTokenizer() {
        CharTokenizer tok = CharTokenizer.fromCorpus("abcdefgh ");
        GptConfig c = new GptConfig(tok.vocabSize(), 16, 8, 2, 2, 16, 1e-5f, false, GptConfig.Norm.PRE,
                GptConfig.Mlp.RELU, GptConfig.Positional.LEARNED);
        Path dir = tmp.resolve("m");
        ModelDirectory.write(dir, c, Gpt.create(c, 1).parameters());
        Tokenizers.save(tok, dir);
        MainTest.Result r = run("trace", "--model", dir.toString(), "--prompt", "bad", "--target", "e");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("LN1, block 1", "ReLU", "W_U[e,");
        assertThat(run("trace", "--model", dir.toString(), "--prompt", "bad", "--target", "ee").err())
                .contains("is 2 tokens");
        assertThat(run("trace", "--model", dir.toString(), "--post-ln").code()).isEqualTo(2);
        MainTest.Result byDefault = run("trace", "--model", dir.toString()); // "the cat sat" needs t, c, s: absent
        assertThat(byDefault.code()).as(byDefault.err()).isZero();
        assertThat(byDefault.err()).contains("cannot spell \"the cat sat\": tracing \"abcdefgh\"");
        assertThat(byDefault.out()).contains("prompt   \"abcdefgh\" → 8 tokens");

        // a model Loupe trained keeps a sample of its training text: trace opens on its first words (≤ 16 tokens)
        dev.loupe.model.io.SamplePrompt.write(dir, "bad cab fed dab bad cab fed dab");
        MainTest.Result sampled = run("trace", "--model", dir.toString());
        assertThat(sampled.code()).as(sampled.err()).isZero();
        assertThat(sampled.err()).contains("tracing \"bad cab fed dab\" (the start of the model's training sample, sample_prompt.txt)");
        assertThat(sampled.out()).contains("prompt   \"bad cab fed dab\" → 15 tokens");
        dev.loupe.model.io.SamplePrompt.write(dir, "XYZ");   // characters the vocabulary lacks: the vocabulary's prompt again
        assertThat(run("trace", "--model", dir.toString()).out()).contains("prompt   \"abcdefgh\"");
    }

    @Test
    void errorsAreOneLine() {
        MainTest.Result unknown = run("trace", "--prompt", "the zebra");
        assertThat(unknown.code()).isEqualTo(1);
        assertThat(unknown.err()).contains("'zebra' is not in the built-in model's vocabulary").doesNotContain("at dev.");
        assertThat(run("trace", "--lr", "0").code()).isEqualTo(2);
        assertThat(run("trace", "--pre-ln", "--post-ln").code()).isEqualTo(2);
        assertThat(run("trace", "--model", tmp.resolve("nope").toString()).code()).isEqualTo(1);
        assertThat(run("trace", "--help").out()).contains("each row is the blend", "Examples:");
    }
}
