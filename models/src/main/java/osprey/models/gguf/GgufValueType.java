package osprey.models.gguf;

/** The metadata value types of the GGUF spec, by their numeric id in the file. */
public enum GgufValueType {
    UINT8(1), INT8(1), UINT16(2), INT16(2), UINT32(4), INT32(4), FLOAT32(4), BOOL(1), STRING(-1), ARRAY(-1),
    UINT64(8), INT64(8), FLOAT64(8);

    /** Size of one value in bytes, or -1 for the variable-length STRING and ARRAY. */
    public final int size;

    GgufValueType(int size) {
        this.size = size;
    }

    static GgufValueType fromId(int id) {
        GgufValueType[] all = values();
        return id >= 0 && id < all.length ? all[id] : null;
    }

    int id() {
        return ordinal();
    }
}
