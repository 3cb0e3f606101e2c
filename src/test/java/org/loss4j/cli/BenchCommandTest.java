package org.loss4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.loss4j.internal.vectors.Json;

/** {@code loss4j bench} on tiny workloads: the files it writes (never the timings). */
class BenchCommandTest {

    private static final String[] TINY = {"bench", "--loss", "mse=100", "--loss", "cross_entropy=4,5", "--backend", "java",
        "--warmup", "5", "--time", "20", "--quiet"};

    private static String[] with(String... more) {
        String[] a = new String[TINY.length + more.length];
        System.arraycopy(TINY, 0, a, 0, TINY.length);
        System.arraycopy(more, 0, a, TINY.length, more.length);
        return a;
    }

    @Test
    void writesJsonCsvAndPngChart(@TempDir Path dir) throws Exception {
        Path json = dir.resolve("b.json"), csv = dir.resolve("b.csv"), png = dir.resolve("b.png");
        assertEquals(0, Main.run(with("--roof", "--roof-mb", "4", "--json", json.toString(), "--csv", csv.toString(),
                "--chart", png.toString())));

        @SuppressWarnings("unchecked")
        Map<String, Object> root = (Map<String, Object>) Json.parse(Files.readString(json));
        assertTrue(root.get("system") instanceof Map<?, ?>, "machine info in the JSON");
        List<?> results = (List<?>) root.get("results");
        assertEquals(4, results.size(), "2 workloads x 1 backend x 1 thread count x 2 modes");
        for (Object o : results) {
            Map<?, ?> r = (Map<?, ?>) o;
            assertNull(r.get("error"));
            assertEquals("java", r.get("backend"));
            assertTrue(((Number) r.get("calls")).longValue() >= 20);
            assertTrue(((Number) r.get("p50_s")).doubleValue() > 0);
            assertTrue(((Number) r.get("p99_s")).doubleValue() >= ((Number) r.get("p50_s")).doubleValue());
            assertTrue(((Number) r.get("bytes_per_call")).longValue() > 0);
        }
        Map<?, ?> first = (Map<?, ?>) results.get(0);
        assertEquals("MSELoss", first.get("loss"));
        assertEquals("forward", first.get("mode"));
        // mse over 100 float32: input + target + the scalar output
        assertEquals(100 * 4 + 100 * 4 + 4L, ((Number) first.get("bytes_per_call")).longValue());
        assertTrue(((Map<?, ?>) root.get("roof_gbs")).containsKey("1"));

        List<String> lines = Files.readAllLines(csv);
        assertEquals(BenchCommand.CSV_HEADER, lines.get(0));
        assertEquals(5, lines.size());
        assertTrue(lines.get(3).startsWith("CrossEntropyLoss,\"(4, 5)\",F32,mean,forward,java,1,"), lines.get(3));

        BufferedImage img = ImageIO.read(png.toFile());
        assertEquals(Charts.WIDTH, img.getWidth());
        assertEquals(2 * Charts.HEIGHT, img.getHeight(), "time panel + GB/s panel (with --roof)");
    }

    @Test
    void writesSvgChart(@TempDir Path dir) throws Exception {
        Path svg = dir.resolve("b.svg");
        assertEquals(0, Main.run(with("--mode", "forward", "--chart", svg.toString())));
        String text = Files.readString(svg);
        assertTrue(text.startsWith("<?xml"));
        var doc = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(svg.toFile());
        assertEquals("svg", doc.getDocumentElement().getNodeName());
        assertEquals(String.valueOf(Charts.HEIGHT), doc.getDocumentElement().getAttribute("height"), "one panel without --roof");
    }

    @Test
    void badArgumentsAreErrors() {
        assertNotEquals(0, Main.run("bench", "--loss", "nope", "--quiet"));
        assertNotEquals(0, Main.run("bench", "--loss", "cross_entropy=4", "--quiet"));
        assertNotEquals(0, Main.run("bench", "--loss", "mse=10", "--backend", "nope", "--quiet"));
        assertNotEquals(0, Main.run("bench", "--loss", "mse=10", "--time", "soon", "--quiet"));
    }

    @Test
    void namesAndShapes() {
        assertEquals("CrossEntropyLoss", BenchWorkload.lossName("cross_entropy"));
        assertEquals("CrossEntropyLoss", BenchWorkload.lossName("CrossEntropyLoss"));
        assertEquals("BCEWithLogitsLoss", BenchWorkload.lossName("bce_with_logits"));
        assertEquals("MSELoss", BenchWorkload.lossName("mse_loss"));
        assertEquals("CTCLoss", BenchWorkload.lossName("ctc"));
        assertEquals("AdaptiveLogSoftmaxWithLoss", BenchWorkload.lossName("adaptive_log_softmax"));
        assertThrows(IllegalArgumentException.class, () -> BenchWorkload.lossName("nope"));
        assertArrayEquals(new long[] {1_000_000}, BenchWorkload.parseDims("1e6"));
        assertArrayEquals(new long[] {32, 32000}, BenchWorkload.parseDims("(32, 32000)"));
        assertArrayEquals(new long[] {32, 32000}, BenchWorkload.parseDims("32x32000"));
        assertThrows(IllegalArgumentException.class, () -> BenchWorkload.parseDims("1.5"));
        // every loss has a workload at every size
        for (String loss : org.loss4j.loss.Losses.NAMES) {
            for (String size : BenchWorkload.SIZES) BenchWorkload.of(loss, BenchWorkload.sizeDims(loss, size));
        }
    }

    @Test
    void everyLossRunsAtTheSmallSize(@TempDir Path dir) throws Exception {
        Path json = dir.resolve("all.json");
        assertEquals(0, Main.run("bench", "--loss", "all", "--size", "small", "--backend", "java", "--warmup", "2", "--time", "3",
                "--quiet", "--json", json.toString()));
        List<?> results = (List<?>) ((Map<?, ?>) Json.parse(Files.readString(json))).get("results");
        assertEquals(2 * org.loss4j.loss.Losses.NAMES.size(), results.size());
    }
}
