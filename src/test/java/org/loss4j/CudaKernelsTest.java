package org.loss4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.loss4j.internal.cuda.CudaKernels;

/**
 * The nvcc-built kernel resources: where nvcc was present at build time, the fatbin and PTX are in the jar and the PTX
 * declares every entry point the Java side launches; where it was not, the backend says "kernels not built" with
 * that reason. Needs no GPU.
 */
class CudaKernelsTest {

    private static byte[] resource(String name) throws IOException {
        try (InputStream in = CudaKernels.class.getResourceAsStream(name)) {
            return in == null ? null : in.readAllBytes();
        }
    }

    @Test
    void buildInfoSaysWhetherTheKernelsWereBuilt() {
        Properties info = CudaKernels.buildInfo();
        assertNotNull(info.getProperty("built"), "build-info.properties is written by src/main/cuda/build.sh in every build");
        if (info.getProperty("built").equals("false")) {
            String why = CudaKernels.unavailableReason();
            assertTrue(why.startsWith("kernels not built: ") && why.contains("when this jar was built"), why);
        } else {
            assertNull(CudaKernels.unavailableReason());
        }
    }

    @Test
    void ptxDeclaresEveryLaunchedEntryPoint() throws IOException {
        if (!"true".equals(CudaKernels.buildInfo().getProperty("built"))) {
            String why = "kernels were not built here: " + CudaKernels.buildInfo().getProperty("reason");
            System.out.println("[CudaKernelsTest] skipped: " + why);
            Assumptions.abort(why);
        }
        byte[] fatbin = resource(CudaKernels.FATBIN);
        assertNotNull(fatbin, CudaKernels.FATBIN);
        // fatbin container magic 0xBA55ED50, little-endian
        assertEquals(0x50, fatbin[0] & 0xff);
        assertEquals(0xED, fatbin[1] & 0xff);
        assertEquals(0x55, fatbin[2] & 0xff);
        assertEquals(0xBA, fatbin[3] & 0xff);
        byte[] ptx = resource(CudaKernels.PTX);
        assertNotNull(ptx, CudaKernels.PTX);
        TreeSet<String> entries = new TreeSet<>();
        Matcher m = Pattern.compile("\\.entry\\s+([A-Za-z_][A-Za-z0-9_]*)\\s*\\(").matcher(new String(ptx, StandardCharsets.US_ASCII));
        while (m.find()) entries.add(m.group(1));
        List<String> missing = new ArrayList<>(CudaKernels.entryPoints());
        missing.removeAll(entries);
        assertTrue(missing.isEmpty(), "entry points launched from Java but missing in the PTX: " + missing + "; PTX has " + entries);
        // every parameter is 8 bytes (u64/f64): what the launcher passes
        Matcher p = Pattern.compile("\\.param\\s+\\.(\\w+)").matcher(new String(ptx, StandardCharsets.US_ASCII));
        while (p.find()) assertTrue(p.group(1).equals("u64") || p.group(1).equals("f64"), "kernel parameter ." + p.group(1));
        System.out.println("[CudaKernelsTest] " + entries.size() + " entry points, fatbin " + fatbin.length + " bytes, "
                + CudaKernels.buildInfo());
    }
}
