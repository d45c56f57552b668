"""The Train tab (placeholder until local training lands)."""

from .base import PlaceholderTab


class TrainTab(PlaceholderTab):
    TAB_ID = "train"
    TITLE = "Train"
    PURPOSE = "start a local QLoRA run on the train split and follow its loss curve; the run keeps going when you close the app"
    COMING_WITH = "local training"
