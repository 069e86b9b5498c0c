package osprey.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.EnumSet;
import org.junit.jupiter.api.Test;

class GgmlTypeTest {

    @Test
    void idsBlockSizesAndBlockBytesMatchGgml() {
        Object[][] table = {
            {"F32", 0, 1, 4}, {"F16", 1, 1, 2}, {"Q4_0", 2, 32, 18}, {"Q4_1", 3, 32, 20},
            {"Q5_0", 6, 32, 22}, {"Q5_1", 7, 32, 24}, {"Q8_0", 8, 32, 34}, {"Q8_1", 9, 32, 36},
            {"Q2_K", 10, 256, 84}, {"Q3_K", 11, 256, 110}, {"Q4_K", 12, 256, 144}, {"Q5_K", 13, 256, 176},
            {"Q6_K", 14, 256, 210}, {"Q8_K", 15, 256, 292}, {"IQ2_XXS", 16, 256, 66}, {"IQ2_XS", 17, 256, 74},
            {"IQ3_XXS", 18, 256, 98}, {"IQ1_S", 19, 256, 50}, {"IQ4_NL", 20, 32, 18}, {"IQ3_S", 21, 256, 110},
            {"IQ2_S", 22, 256, 82}, {"IQ4_XS", 23, 256, 136}, {"I8", 24, 1, 1}, {"I16", 25, 1, 2},
            {"I32", 26, 1, 4}, {"I64", 27, 1, 8}, {"F64", 28, 1, 8}, {"IQ1_M", 29, 256, 56},
            {"BF16", 30, 1, 2}, {"TQ1_0", 34, 256, 54}, {"TQ2_0", 35, 256, 66}, {"MXFP4", 39, 32, 17},
        };
        assertThat(GgmlType.values()).hasSize(table.length);
        for (Object[] row : table) {
            GgmlType t = GgmlType.valueOf((String) row[0]);
            assertThat(t.id()).as("%s id", t).isEqualTo(row[1]);
            assertThat(t.blockSize()).as("%s block size", t).isEqualTo(row[2]);
            assertThat(t.bytesPerBlock()).as("%s bytes per block", t).isEqualTo(row[3]);
            assertThat(GgmlType.fromId(t.id())).isSameAs(t);
        }
    }

    @Test
    void removedAndUnknownIdsAreNull() {
        for (int id : new int[] {-1, 4, 5, 31, 32, 33, 36, 37, 38, 40, 1000, Integer.MIN_VALUE}) {
            assertThat(GgmlType.fromId(id)).as("id %d", id).isNull();
        }
    }

    @Test
    void bytesForCountsWholeBlocks() {
        assertThat(GgmlType.F32.bytesFor(7)).isEqualTo(28);
        assertThat(GgmlType.BF16.bytesFor(4097)).isEqualTo(8194);
        assertThat(GgmlType.Q4_0.bytesFor(4096)).isEqualTo(128 * 18);
        assertThat(GgmlType.Q8_0.bytesFor(0)).isZero();
        assertThat(GgmlType.Q6_K.bytesFor(256L * 1_000_000_000)).isEqualTo(210L * 1_000_000_000);
        assertThatThrownBy(() -> GgmlType.Q8_0.bytesFor(33))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("Q8_0").hasMessageContaining("32").hasMessageContaining("33");
        assertThatThrownBy(() -> GgmlType.Q4_K.bytesFor(128))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Q4_K");
    }

    @Test
    void kernelsExistForTheImplementedTypes() {
        EnumSet<GgmlType> withKernels = EnumSet.noneOf(GgmlType.class);
        for (GgmlType t : GgmlType.values()) {
            if (t.hasKernels()) {
                withKernels.add(t);
            }
        }
        assertThat(withKernels).containsExactlyInAnyOrder(
                GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_K, GgmlType.Q6_K);
    }

    @Test
    void activationTypeIsLlamaCppsVecDotType() {
        assertThat(GgmlType.F32.activationType()).isEqualTo(GgmlType.F32);
        assertThat(GgmlType.F16.activationType()).isEqualTo(GgmlType.F16);
        assertThat(GgmlType.BF16.activationType()).isEqualTo(GgmlType.BF16);
        assertThat(GgmlType.Q8_0.activationType()).isEqualTo(GgmlType.Q8_0);
        assertThat(GgmlType.Q4_0.activationType()).isEqualTo(GgmlType.Q8_0);
        assertThat(GgmlType.Q5_0.activationType()).isEqualTo(GgmlType.Q8_0);
        assertThat(GgmlType.IQ4_NL.activationType()).isEqualTo(GgmlType.Q8_0);
        assertThat(GgmlType.Q4_1.activationType()).isEqualTo(GgmlType.Q8_1);
        assertThat(GgmlType.Q5_1.activationType()).isEqualTo(GgmlType.Q8_1);
        for (GgmlType t : EnumSet.of(GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K,
                GgmlType.IQ4_XS, GgmlType.IQ2_XXS, GgmlType.TQ2_0)) {
            assertThat(t.activationType()).as("%s", t).isEqualTo(GgmlType.Q8_K);
        }
        // every type with kernels multiplies activations that Activations can produce
        for (GgmlType t : GgmlType.values()) {
            if (t.hasKernels()) {
                assertThat(new Activations(t.activationType()).format()).isEqualTo(t.activationType());
            }
        }
    }
}
