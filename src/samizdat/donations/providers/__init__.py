"""Payment providers: one package each, behind ``base.Provider``; ``registry`` lists them."""
