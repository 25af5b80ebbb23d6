package dev.loupe.tokens.bpe;

import dev.loupe.tokens.Tokenizer;
import dev.loupe.tokens.Tokenizers;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Random;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/** Token ids equal jtokkit's r50k_base (= GPT-2) encodeOrdinary, and decode(encode(x)) == x. */
class Gpt2BpeExactnessTest {

    private static void assertSameAsJtokkit(String text) {
        int[] ours = Gpt2Fixtures.r50k().encode(text);
        int[] theirs = Gpt2Fixtures.jtokkit().encodeOrdinary(text).toArray();
        assertSameIds(ours, theirs, text);
        if (text.codePoints().noneMatch(c -> c >= 0xD800 && c <= 0xDFFF)) {
            assertThat(Gpt2Fixtures.r50k().decode(ours)).isEqualTo(text);
        }
    }

    /** Arrays.equals first: AssertJ's containsExactly is quadratic on 300k-element arrays. */
    static void assertSameIds(int[] ours, int[] theirs, String text) {
        if (java.util.Arrays.equals(ours, theirs)) return;
        int i = java.util.Arrays.mismatch(ours, theirs);
        int from = Math.max(0, i - 3);
        assertThat(java.util.Arrays.copyOfRange(ours, from, Math.min(ours.length, i + 4)))
                .as("ids from index %d of %s", from, text.length() > 60 ? text.substring(0, 60) + "..." : text)
                .containsExactly(java.util.Arrays.copyOfRange(theirs, from, Math.min(theirs.length, i + 4)));
        assertThat(ours).hasSameSizeAs(theirs);
    }

    @Test
    void knownIds() {
        ByteLevelBpe gpt2 = Gpt2Fixtures.r50k();
        assertThat(gpt2.vocabSize()).isEqualTo(50257);
        assertThat(gpt2.endOfText()).hasValue(50256);
        assertThat(gpt2.encode("Hello world")).containsExactly(15496, 995);
        assertThat(gpt2.encode("<|endoftext|>")).containsExactly(27, 91, 437, 1659, 5239, 91, 29);
        assertThat(gpt2.encodeAllowingSpecial("a<|endoftext|>b")).containsExactly(64, 50256, 65);
        assertThat(gpt2.tokenText(50256)).isEqualTo("<|endoftext|>");
        assertThat(gpt2.tokenText(220)).isEqualTo(" ");
        assertThat(gpt2.isSpecial(50256)).isTrue();
        assertThat(gpt2.isSpecial(220)).isFalse();
        // every ordinary GPT-2 token whose text is valid UTF-8 is its own BPE encoding
        assertThat(gpt2.directTokens()).isGreaterThan(49000);
    }

    @Test
    void trickyStrings() {
        String[] cases = {
                "", " ", "  ", "a", " a", "a ", "a  b", "a   b", "a\n\nb", "a \n b", "\n", "\n\n\n", " \n", "\t \t x",
                "   ", "x   ", "hello   \n   world  ", "I'm you're we've they'll he'd she's it't", "'s'S'T'LL'Re 're '",
                "''s", "x.'s", "don't DON'T", "12345 67 8.9e10 ½ ² ⅷ ١٢٣", "price: $3.50!!!", "🙂👍🏽 👨‍👩‍👧 🇫🇷",
                "e\u0301 cafe\u0301 a\u0300\u0301b", "\u0000\u0001\u0007\u001b[0m\u007f", "\u00a0\u2003\u3000\u2028\u2029\u0085x",
                "日本語のテキスト 中文 한국어", "Ελληνικά русский עברית العربية", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝟙𝟚𝟛 \uD800\uDC00 \uDBFF\uDFFF",
                "\uE000\uF8FF\uFFFD\uFFFF", "a\u200bb\u200d", "<|endoftext|>", "   leading", "trailing   ", " ".repeat(100) + "x",
                "\n".repeat(50), "a".repeat(500), "ab".repeat(300), "1".repeat(200), "!?".repeat(150),
                "\r\n\r\n", "x\r\ny", "tab\tsep\tvalues\t",
        };
        for (String c : cases) assertSameAsJtokkit(c);
    }

    @Test
    void loneSurrogatesEncodeLikeStringGetBytes() {
        assertSameAsJtokkit("a\uD800b");
        assertSameAsJtokkit("\uDC00 x \uD83D");
    }

    @Test
    void everyUnicodePlane() {
        StringBuilder sb = new StringBuilder();
        Random rnd = new Random(7);
        for (int plane = 0; plane <= 16; plane++) {
            for (int k = 0; k < 400; k++) {
                int cp = (plane << 16) | rnd.nextInt(0x10000);
                if (cp >= 0xD800 && cp <= 0xDFFF) continue;
                sb.appendCodePoint(cp);
                if (rnd.nextInt(5) == 0) sb.append(' ');
            }
        }
        assertSameAsJtokkit(sb.toString());
    }

    @Test
    void longRealText() {
        var text = Gpt2Fixtures.shakespeare();
        Assumptions.assumeTrue(text.isPresent(), "shared data tinyshakespeare.txt absent (set LOUPE_SHARED); skipping the long-text comparison");
        String s = text.get();
        assertThat(s.length()).isGreaterThan(ByteLevelBpe.PARALLEL_MIN_CHARS); // exercises the parallel chunked path
        assertSameAsJtokkit(s);
    }

    @Test
    void huggingFaceFilesGiveTheSameTokenizer(@TempDir Path tmp) {
        var dir = Gpt2Fixtures.hfDir();
        Assumptions.assumeTrue(dir.isPresent(), "shared data gpt2-tokenizer/ (vocab.json, merges.txt) absent; skipping");
        Tokenizer hf = Tokenizers.load(dir.get()).orElseThrow();
        ByteLevelBpe tk = Gpt2Fixtures.r50k();
        assertThat(hf.vocabSize()).isEqualTo(50257);
        assertThat(hf.endOfText()).hasValue(50256);
        for (int id = 0; id < 50257; id++) {
            if (!java.util.Arrays.equals(((ByteLevelBpe) hf).bytesOf(id), tk.bytesOf(id))) throw new AssertionError("token " + id + " differs");
        }
        String text = Gpt2Fixtures.shakespeare().orElse("Hello world, it's GPT-2's   vocabulary.\n\n 🙂 12345");
        assertSameIds(hf.encode(text), tk.encode(text), text);

        // saved again, it loads to the same encoder
        Tokenizers.save(hf, tmp);
        assertSameIds(Tokenizers.load(tmp).orElseThrow().encode(text), tk.encode(text), text);
    }

    @Test
    void tiktokenVocabularySavedAsMergesRoundTrips(@TempDir Path tmp) {
        Tokenizers.save(Gpt2Fixtures.r50k(), tmp);
        Tokenizer back = Tokenizers.load(tmp).orElseThrow();
        String text = "It's the tokenizer's  job: 1234567 🙂, naïve café\n\n\tend.   ";
        assertThat(back.encode(text)).containsExactly(Gpt2Fixtures.r50k().encode(text));
        assertThat(back.endOfText()).hasValue(50256);
    }

    @Test
    void randomStringsMatchJtokkit() {
        SeededCases.forEach("randomStringsMatchJtokkit", 300, Gpt2BpeExactnessTest::text, Gpt2BpeExactnessTest::assertSameAsJtokkit);
    }

    private static final char[] PRETOKENIZER_CHARS = " \n\t'sStTrevldm0123456789.,!?-".toCharArray();
    private static final String[] TRICKY_PIECES = {" ", "  ", "\n", "\u00a0", "\u3000", "'s", "'ll", "'RE", "🙂", "e\u0301"};
    private static final String[] EDGE_PIECES = {" ", "-", "\u0000", "\u007f", "\u0400", "\u0001",
            Character.toString(0x10FFFE), Character.toString(0x10FFFF), "e\u0301"};

    /**
     * Up to 40 pieces, each equally likely one of: an ASCII char (half the time one the pre-tokenizer
     * treats specially), 0-4 chars below U+0400, any non-surrogate code point (biased small), a tricky piece.
     */
    static String text(SplittableRandom r) {
        return RandomTexts.concat(r, 40, 17, EDGE_PIECES, p -> switch (p.nextInt(4)) {
            case 0 -> String.valueOf(p.nextBoolean() ? PRETOKENIZER_CHARS[p.nextInt(PRETOKENIZER_CHARS.length)]
                    : RandomTexts.charIn(p, '\u0000', '\u007f'));
            case 1 -> RandomTexts.stringIn(p, '\u0000', '\u0400', 4);
            case 2 -> Character.toString(RandomTexts.codePoint(p));
            default -> RandomTexts.oneOf(p, TRICKY_PIECES);
        });
    }
}
