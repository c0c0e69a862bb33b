"""Payment providers behind one interface (``base.Provider``); ``registry`` lists them."""
