"""Export folders: writing them atomically (:mod:`.folder`), their data card (:mod:`.card`), and
checking one later against its report (:mod:`.verify`: hashes and the leak check)."""
