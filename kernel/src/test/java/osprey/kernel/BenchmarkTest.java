package osprey.kernel;

import org.junit.jupiter.api.Test;
import osprey.engine.GgmlType;
import osprey.engine.ThreadPool;
import osprey.models.Model;
import osprey.models.gguf.TensorInfo;

import static org.assertj.core.api.Assertions.assertThat;

/** The bench harness on the embedded model: results, the bytes a decode step reads, the bandwidth probe. */
class BenchmarkTest {

    @Test
    void measuresPrefillAndDecodeAndCountsTheWeightsADecodeStepReads() {
        try (ThreadPool pool = new ThreadPool(2); Model m = Model.load(null, pool)) {
            StringBuilder progress = new StringBuilder();
            var results = Benchmark.run(m, 16, 8, 2, s -> progress.append(s).append('\n'));
            assertThat(results).extracting(Benchmark.Result::test).containsExactly("pp16", "tg8");
            for (Benchmark.Result r : results) {
                assertThat(r.tokensPerSecond()).hasSize(2);
                for (double t : r.tokensPerSecond()) assertThat(t).isPositive();
                assertThat(r.stddev()).isGreaterThanOrEqualTo(0);
            }
            assertThat(progress).contains("pp16 warm-up 1").contains("tg8 run 2/2");

            // stories260K has an untied output matrix: of the token embedding a step reads one row only.
            long all = m.gguf().tensors().values().stream().mapToLong(TensorInfo::byteSize).sum();
            TensorInfo embd = m.gguf().tensors().get("token_embd.weight");
            assertThat(Benchmark.weightBytesPerToken(m)).isEqualTo(all - embd.byteSize() + embd.byteSize() / 512);
            assertThat(Benchmark.mainType(m)).isEqualTo(GgmlType.F32);
        }
    }

    @Test
    void memoryBandwidthIsAPlausibleFigure() {
        try (ThreadPool pool = new ThreadPool(2)) {
            double bytesPerSecond = osprey.engine.MemoryBandwidth.measureRead(pool, 64L << 20, 2);
            // Anything between a slow laptop and a large server; the point is that it measures something.
            assertThat(bytesPerSecond).isBetween(1e9, 2e12);
        }
    }
}
