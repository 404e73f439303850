package io.covenant.samples.shop;

import io.covenant.testsupport.TestDatabase;
import org.junit.jupiter.api.BeforeAll;

/** {@link ShopAcceptanceTest} with each service's tables in a database of its own of the real MariaDB (or MySQL). */
class ShopOnMariaDbTest extends ShopAcceptanceTest {
  @BeforeAll
  static void startOnMariaDb() throws Exception {
    start(TestDatabase.Kind.MYSQL);
  }
}
