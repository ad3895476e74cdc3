"""The Orders page: every contract, campaign order, licence and contest a person is part of,
from their side, with its state and the next thing to do."""
