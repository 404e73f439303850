package io.covenant.coordinator.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The {@code Prefer} header as RFC 7240 writes it, read for {@code return=minimal} only. */
class PreferTest {
  @ParameterizedTest
  @ValueSource(strings = {
      "return=minimal", "RETURN=minimal", "Return = minimal", "return=\"minimal\"", "respond-async, return=minimal",
      "return=minimal; foo=bar", "wait=10,handling=lenient,return=minimal", " , return=minimal ,",
      "return=minimal;q=\"a,b\", return=representation", "x=\"a,\\\"b\", return=minimal", ";odd, return=minimal"})
  void asksForTheSummary(String header) {
    assertThat(Prefer.returnMinimal(List.of(header))).isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "", "return=representation", "return=representation, return=minimal", "return=Minimal", "return=minimalist",
      "returns=minimal", "return", "return=", "return=\"\"", "return minimal", "foo=\"a, return=minimal\"",
      "x=\"unterminated, return=minimal", "respond-async"})
  void doesNotAskForTheSummary(String header) {
    assertThat(Prefer.returnMinimal(List.of(header))).isFalse();
  }

  @Test
  void readsEveryPreferHeaderInOrderAndTheFirstReturnCounts() {
    assertThat(Prefer.returnMinimal(List.of())).isFalse();
    assertThat(Prefer.returnMinimal(List.of("respond-async", "return=minimal"))).isTrue();
    assertThat(Prefer.returnMinimal(List.of("return=representation", "return=minimal"))).isFalse();
    assertThat(Prefer.first(List.of("wait=10; x", "handling=strict"), "WAIT")).isEqualTo("10");
    assertThat(Prefer.first(List.of("respond-async"), "respond-async")).isEmpty();
    assertThat(Prefer.first(List.of("respond-async"), "wait")).isNull();
  }
}
