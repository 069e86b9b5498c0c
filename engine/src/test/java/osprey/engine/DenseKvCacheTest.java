package osprey.engine;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DenseKvCacheTest {

    @Test
    void storesRowsPerLayerAndPositionAndReadsHeadsBack() {
        int layers = 2, ctx = 5, kvHeads = 2, headDim = 3;
        DenseKvCache cache = new DenseKvCache(layers, ctx, kvHeads, headDim);
        float[] k = {1, 2, 3, 4, 5, 6}, v = {10, 20, 30, 40, 50, 60};
        cache.put(1, 4, k, 0, v, 0);
        float[] q = {1, 1, 1};
        assertThat(cache.dotKey(1, 4, 0, q, 0)).isEqualTo(6f);
        assertThat(cache.dotKey(1, 4, 1, q, 0)).isEqualTo(15f);
        assertThat(cache.dotKey(0, 4, 1, q, 0)).isEqualTo(0f); // other layer untouched
        float[] out = new float[3];
        cache.addValue(1, 4, 1, 0.5f, out, 0);
        assertThat(out).containsExactly(20f, 25f, 30f);
        assertThat(cache.capacity()).isEqualTo(ctx);
        assertThatThrownBy(() -> cache.put(0, 5, k, 0, v, 0)).hasMessageContaining("position 5 outside the KV cache of 5");
    }
}
