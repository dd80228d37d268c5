"""The Rasa action server: custom actions that ask what the rules need and give verdicts."""
