package io.covenant.samples.shop;

import io.covenant.testsupport.TestDatabase;
import org.junit.jupiter.api.BeforeAll;

/** {@link ShopContractTest} with each service's tables in a schema of its own of the real PostgreSQL. */
class ShopContractOnPostgresTest extends ShopContractTest {
  @BeforeAll
  static void startOnPostgres() throws Exception {
    start(TestDatabase.Kind.POSTGRES);
  }
}
