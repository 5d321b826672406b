// Integration tests wait on real services (consumer-group joins, index refreshes).
jest.setTimeout(120_000);
