"""Loss and validation-PSNR curves as a PNG."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def plot_curves(train_rows, val_rows, val_names, path, title, loss_label="MSE loss (Y in [0,1])"):
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
    if train_rows:
        ax1.plot([r[0] for r in train_rows], [r[1] for r in train_rows], lw=0.8)
        ax1.set_yscale("log")
    ax1.set(xlabel="step", ylabel=loss_label, title=f"{title}: training loss")
    for i, name in enumerate(val_names):
        ax2.plot([r[0] for r in val_rows], [r[2 + i] for r in val_rows], marker=".", label=name)
    ax2.set(xlabel="step", ylabel="PSNR-Y (dB)", title=f"{title}: validation")
    ax2.grid(alpha=0.3)
    if val_names:
        ax2.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
