// End-to-end tests start whole stacks and processes.
jest.setTimeout(900_000);
