"""The clinic's questionnaire library: licensed texts a clinic enters for the shipped
instruments whose text Touchstone may not ship, and a clinic's own questionnaires. Below
``care`` and ``measures`` in the layer map, so episode plans and administrations can both ask
which instruments a clinic can give (``touchstone.instruments.catalogue``)."""
