package dev.loupe.tokens.bpe;

import dev.loupe.tokens.Tokenizer;
import dev.loupe.tokens.Tokenizers;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BpeTrainerTest {

    private static String bytes(ByteLevelBpe bpe, int id) {
        return new String(bpe.bytesOf(id), StandardCharsets.UTF_8);
    }

    @Test
    void tinyCorpusHasTheKnownFirstMerges() {
        // "low low low lower newest newest": pieces "low", " low" x2, " lower", " newest" x2.
        // pair counts: (l,o)=4, (o,w)=4, (' ',l)=3, (w,e)=3, (' ',n)=2, (n,e)=2, (e,s)=2, (s,t)=2, (e,r)=1.
        // most frequent: (l,o) and (o,w) with 4; tie → smaller left id: 'l'=108 < 'o'=111.
        ByteLevelBpe bpe = BpeTrainer.train("low low low lower newest newest", 260);
        assertThat(bpe.vocabSize()).isEqualTo(260);
        assertThat(bpe.merges()).hasSize(3);
        assertThat(bytes(bpe, 256)).isEqualTo("lo");
        // after "lo": (lo,w)=4 is the most frequent
        assertThat(bytes(bpe, 257)).isEqualTo("low");
        // then (' ',low)=3 and (w,e)=3 tie: ' ' (32) < 'w' (119)
        assertThat(bytes(bpe, 258)).isEqualTo(" low");
        assertThat(bpe.tokenText(259)).isEqualTo("<|endoftext|>");
        assertThat(bpe.endOfText()).hasValue(259);
        assertThat(bpe.encode(" lower")).containsExactly(258, 'e', 'r');
    }

    @Test
    void mergesAreDeterministicAndTiesFollowTheRule() {
        String corpus = "ab ab cd cd ef ef xy";
        ByteLevelBpe a = BpeTrainer.train(corpus, 300), b = BpeTrainer.train(corpus, 300);
        assertThat(a.merges()).isEqualTo(b.merges());
        // (' ','a'), (a,b), (' ',c), (c,d), (' ',e), (e,f) all have count 2 (first "ab" has no space):
        // (a,b)=2 and (' ',a)=1 ... ties of count 2 broken by the smaller left id: ' ' (32) first.
        Merge first = a.merges().get(0);
        assertThat(first.left()).isEqualTo(' ');
        // stops when every word is one token: fewer than requested
        assertThat(a.vocabSize()).isLessThan(300);
        for (String w : new String[] {"ab", " ab", " cd", " ef", " xy"}) assertThat(a.encode(w)).hasSize(1);
    }

    @Test
    void roundTripAndSaveLoad(@TempDir Path dir) {
        String corpus = "First Citizen:\nBefore we proceed any further, hear me speak.\n\nAll:\nSpeak, speak. 🙂 naïve ünïcödé 12345\n";
        ByteLevelBpe bpe = BpeTrainer.train(corpus.repeat(3), 400);
        String unseen = "Speak further, citizens! 🙃 ZZZ \u0000 日本 'll";
        assertThat(bpe.decode(bpe.encode(corpus))).isEqualTo(corpus);
        assertThat(bpe.decode(bpe.encode(unseen))).isEqualTo(unseen);
        assertThat(bpe.encode(corpus).length).isLessThan(corpus.getBytes(StandardCharsets.UTF_8).length / 2);
        Tokenizers.save(bpe, dir);
        assertThat(dir.resolve("vocab.json")).exists();
        assertThat(dir.resolve("merges.txt")).exists();
        Tokenizer back = Tokenizers.load(dir).orElseThrow();
        assertThat(back.encode(unseen)).containsExactly(bpe.encode(unseen));
        assertThat(back.encode(corpus)).containsExactly(bpe.encode(corpus));
        assertThat(back.vocabSize()).isEqualTo(bpe.vocabSize());
        assertThat(back.endOfText()).isEqualTo(bpe.endOfText());
    }

    @Test
    void tooSmallAVocabularyIsAClearError() {
        assertThatThrownBy(() -> BpeTrainer.train("abc", 256)).hasMessageContaining("at least 257");
    }

    @Test
    void fourThousandOnTinyShakespeare() throws Exception {
        var file = dev.loupe.tokens.SharedData.data("tinyshakespeare.txt");
        Assumptions.assumeTrue(file.isPresent(), "shared data tinyshakespeare.txt absent; skipping the 4k training run");
        String text = Files.readString(file.get());
        long t0 = System.nanoTime();
        ByteLevelBpe bpe = BpeTrainer.train(text, 4096);
        double seconds = (System.nanoTime() - t0) / 1e9;
        System.out.printf("BPE 4096 on Tiny Shakespeare: %.2f s%n", seconds);
        assertThat(bpe.vocabSize()).isEqualTo(4096);
        int[] ids = bpe.encode(text);
        assertThat(bpe.decode(ids)).isEqualTo(text);
        // a 4k vocabulary compresses English well below GPT-2-like 0.3 tokens per byte... at least below 0.4
        assertThat((double) ids.length / text.length()).isLessThan(0.4);
    }
}
